// `npm run chaos`: the whole fault campaign (issue 11) against the real stack, with a steadier load
// than the jest version (tests/chaos/faults.test.ts). Prints one line per step, then the table;
// exits 1 when a fault broke a promise (run lost, stuck, failed, duplicated, 5xx after recovery).
// docs/reliability.md holds the table of one full run, with the machine and the date.
import { cpus, totalmem } from 'node:os';
import { startTestSmtp } from '../support/smtp.ts';
import { Campaign, formatTable, violations, type FaultResult } from './campaign.ts';
import { startLedger } from './ledger.ts';
import { PARTS, startChaosStack, type Part } from './stack.ts';

const only = process.argv.slice(2).filter((a): a is Part => (PARTS as readonly string[]).includes(a));
const started = Date.now();
const say = (line: string) => console.log(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);
say(`machine: ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, ${new Date().toISOString()}`);

const [smtp, ledger] = await Promise.all([startTestSmtp(), startLedger()]);
say('starting the stack (Temporal dev server, Redis, PostgreSQL, api, worker, web when built)…');
const stack = await startChaosStack({ smtpUrl: smtp.url });
say(`stack ready in ${stack.dir} (logs in ${stack.dir}/logs)`);
const results: FaultResult[] = [];
let failed = false;
try {
  const campaign = new Campaign(stack, ledger, smtp, {
    starters: 3, intervalMs: 150, acceptedBefore: 30, acceptedAfter: 30, attemptsDuringOutage: 15, settleTimeoutMs: 300_000,
  }, say);
  await campaign.prepare();
  for (const part of only.length ? only : PARTS) {
    const result = await campaign.fault(part);
    results.push(result);
    const broken = violations(result);
    say(`${part}: ${broken.length ? `FAILED: ${broken.join('; ')}` : 'ok'}`);
    for (const note of result.notes.slice(0, 20)) say(`  ${note}`);
    if (broken.length) failed = true;
  }
} catch (error) {
  failed = true;
  say(`campaign aborted: ${(error as Error).stack ?? String(error)}`);
} finally {
  await stack.stop();
  await Promise.all([smtp.close(), ledger.close()]);
}
console.log(`\n${formatTable(results)}\n`);
console.log(`ledger: ${ledger.total()} requests, ${ledger.unkeyed()} without a key; campaign ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exit(failed ? 1 : 0);
