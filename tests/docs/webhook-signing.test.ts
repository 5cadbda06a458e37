// The signing recipes of docs/api-guide.md (docs/examples/sign-webhook.*) are run as written,
// with curl + openssl, Node.js and Python, against a listening api: each must be accepted (202),
// and the same scripts with a wrong secret must be refused (401).
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Team } from '../../core/teams/entities.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig } from '../support/env.ts';
import { signUp, type SignedUp } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';

const run = promisify(execFile);
const example = (name: string) => fileURLToPath(new URL(`../../docs/examples/${name}`, import.meta.url));
const RECIPES: [string, string[]][] = [
  ['curl', ['bash', example('sign-webhook.sh')]],
  ['node', [process.execPath, example('sign-webhook.mjs')]],
  ['python', ['python3', example('sign-webhook.py')]],
];

let smtp: TestSmtp;
let t: TestApp;
let me: SignedUp;
let server: Server;
let hook: { url: string; secret: string };

beforeAll(async () => {
  smtp = await startTestSmtp();
  t = await createTestApp(testConfig({ SMTP_URL: smtp.url, TRELLIS_SECRET_KEY: randomBytes(32).toString('base64'), TEMPORAL_TASK_QUEUE: `signing-${randomUUID()}` }));
  me = await signUp(t.app, smtp);
  // No worker runs here: the runs stay in flight, and the plan's concurrency is not what this tests.
  await t.orm.em.fork().nativeUpdate(Team, { id: me.personalTeamId }, { plan: 'enterprise' });
  const wf = await me.client.post(`/api/v1/teams/${me.personalTeamId}/workflows`, { name: 'signed', graph: { nodes: [{ id: 'o', type: 'output', config: { value: '{{ input }}' } }] } });
  expect(wf.status).toBe(201);
  const created = await me.client.post(`/api/v1/teams/${me.personalTeamId}/workflows/${wf.body.id}/webhooks`);
  expect(created.status).toBe(201);
  server = t.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  hook = { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/${created.body.id}`, secret: created.body.secret as string };
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await t.close();
  await smtp.close();
});

async function send(command: string[], secret: string, body: string): Promise<{ status: number; answer: string }> {
  const { stdout } = await run(command[0] as string, command.slice(1), { env: { ...process.env, URL: hook.url, SECRET: secret, BODY: body } });
  const lines = stdout.trim().split('\n');
  return { status: Number(lines.at(-1)), answer: lines.slice(0, -1).join('\n') };
}

describe.each(RECIPES)('the %s signing recipe', (_name, command) => {
  it('is accepted with the webhook secret and starts a run', async () => {
    const { status, answer } = await send(command, hook.secret, JSON.stringify({ id: randomUUID(), items: [{ price: 2 }] }));
    expect(status).toBe(202);
    expect(JSON.parse(answer)).toMatchObject({ runId: expect.stringMatching(/^run_/) });
  });

  it('is refused with another secret', async () => {
    const { status, answer } = await send(command, `whsec_${randomBytes(16).toString('hex')}`, '{"id":1}');
    expect(status).toBe(401);
    expect(JSON.parse(answer)).toMatchObject({ status: 401 });
  });
});
