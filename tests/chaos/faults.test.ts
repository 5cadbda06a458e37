// The short fault campaign in `npm test`: one SIGKILL of each part of the stack under a small load
// (the whole campaign is `npm run chaos`, tests/chaos/chaos.ts). Every accepted run ends, none is
// lost or left running, no completed node's side effect is repeated, no 5xx after the recovery.
import { appendFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { Campaign, formatTable, violations, type FaultResult } from './campaign.ts';
import { startLedger, type Ledger } from './ledger.ts';
import { PARTS, startChaosStack, type ChaosStack } from './stack.ts';

describe('fault campaign (short)', () => {
  let smtp: TestSmtp;
  let ledger: Ledger;
  let stack: ChaosStack;
  let campaign: Campaign;
  const results: FaultResult[] = [];

  beforeAll(async () => {
    [smtp, ledger] = await Promise.all([startTestSmtp(), startLedger()]);
    // Without the web app: building it is `npm run chaos`'s business, not the unit suite's.
    stack = await startChaosStack({ smtpUrl: smtp.url, web: false });
    campaign = new Campaign(stack, ledger, smtp, {
      starters: 2, intervalMs: 200, acceptedBefore: 3, acceptedAfter: 3, attemptsDuringOutage: 3, settleTimeoutMs: 240_000,
    }, (line) => appendFileSync(join(stack.dir, 'campaign.log'), `${new Date().toISOString()} ${line}\n`));
    await campaign.prepare();
  }, 600_000);

  afterAll(async () => {
    if (results.length) console.log(formatTable(results));
    await stack?.stop();
    await Promise.all([smtp?.close(), ledger?.close()]);
    // The logs and databases are kept only when a fault broke something.
    if (stack && results.length === PARTS.length && results.every((r) => violations(r).length === 0)) rmSync(stack.dir, { recursive: true, force: true });
  }, 120_000);

  it.each(PARTS.map((part) => [part]))('SIGKILL of %s: nothing lost, stuck or repeated, no 5xx after the recovery', async (part) => {
    const result = await campaign.fault(part);
    results.push(result);
    expect({ fault: part, violations: violations(result), notes: result.notes }).toEqual({ fault: part, violations: [], notes: expect.any(Array) });
    expect(result.accepted).toBeGreaterThan(0);
    expect(result.succeeded).toBe(result.accepted);
    expect(ledger.unkeyed()).toBe(0);
  }, 900_000);
});
