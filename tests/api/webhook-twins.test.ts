// Identical signed webhook requests arriving together (a sender's retries racing, a replay):
// exactly one run starts and every twin answers with it; when the first is refused, no twin
// answers with a run that never starts, and none answers 5xx. On PostgreSQL, where the race
// was found by the fuzz suite.
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { RunRecord } from '../../core/runs/entities.ts';
import { Team } from '../../core/teams/entities.ts';
import { sign } from '../../core/webhooks/service.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { freshPostgresUrl, testConfig } from '../support/env.ts';
import { signUp, type SignedUp } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';

let smtp: TestSmtp;
let t: TestApp;
let server: Server;
let base: string;
let me: SignedUp;
let hook: { id: string; secret: string };

beforeAll(async () => {
  smtp = await startTestSmtp();
  t = await createTestApp(testConfig({ DATABASE_URL: await freshPostgresUrl(), SMTP_URL: smtp.url }));
  server = t.app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  me = await signUp(t.app, smtp);
  // No worker here: started runs stay running, so give the team room for one per round.
  await t.orm.em.fork().nativeUpdate(Team, { id: me.personalTeamId }, { plan: 'pro' });
  const wf = await me.client.post(`/api/v1/teams/${me.personalTeamId}/workflows`, { name: 'twins', graph: { nodes: [{ id: 'done', type: 'output', config: { value: 1 } }] } });
  hook = (await me.client.post(`/api/v1/teams/${me.personalTeamId}/workflows/${wf.body.id}/webhooks`)).body as { id: string; secret: string };
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await t?.close();
  await smtp?.close();
});

/** Six copies of one signed request at once, each with its own delivery id. */
async function twins(body: string): Promise<{ status: number; body: { runId?: string; code?: string; duplicate?: boolean } }[]> {
  const ts = Math.floor(Date.now() / 1000);
  const signature = `t=${ts},v1=${sign(hook.secret, ts, body)}`;
  return Promise.all(
    Array.from({ length: 6 }, async () => {
      const answer = await fetch(`${base}/hooks/${hook.id}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Trellis-Signature': signature, 'X-Trellis-Delivery': randomUUID() },
        body,
      });
      return { status: answer.status, body: (await answer.json()) as { runId?: string; code?: string } };
    }),
  );
}

describe('identical signed webhook requests at once', () => {
  it('start one run, and every twin answers with it', async () => {
    for (let round = 0; round < 3; round++) {
      const answers = await twins(JSON.stringify({ round, id: randomUUID() }));
      expect(answers.map((a) => `${a.status} ${a.body.code ?? ""}`)).toEqual(Array(6).fill("202 "));
      const runIds = new Set(answers.map((a) => a.body.runId));
      expect(runIds.size).toBe(1);
      expect(answers.filter((a) => !a.body.duplicate)).toHaveLength(1);
      const [runId] = [...runIds] as string[];
      expect(await t.orm.em.fork().count(RunRecord, { id: runId })).toBe(1);
    }
  });

  it('refused first: every twin is refused too, none answers a run that never starts or a 5xx', async () => {
    for (let round = 0; round < 3; round++) {
      // Input nested deeper than a run accepts: the start refuses it after the signature was recorded.
      const answers = await twins(`{"round":${round},"x":${'['.repeat(1000)}${']'.repeat(1000)}}`);
      expect(answers.filter((a) => a.status >= 500)).toEqual([]);
      expect(answers.filter((a) => a.status === 202)).toEqual([]);
      expect(new Set(answers.map((a) => a.body.code))).toEqual(new Set(['input_too_deep']));
    }
  });
});
