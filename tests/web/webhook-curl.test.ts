// The curl example the triggers page shows (web/app/lib/webhook-curl.ts) really works: run with
// bash against the real API it is accepted (202 with a run id); with a wrong secret it is
// refused (401). A capture server checks that the exact body bytes are sent and signed, even
// with quotes, dollars and non-ASCII characters in the body.
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { sign } from '../../core/webhooks/service.ts';
import { curlExample, shellQuote } from '../../web/app/lib/webhook-curl.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig } from '../support/env.ts';
import { signUp, type SignedUp } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';

const run = promisify(execFile);

/** Runs a snippet as a user would paste it; returns the answer body and the status line. */
async function runSnippet(snippet: string): Promise<{ status: number; body: string }> {
  const { stdout } = await run('bash', ['-c', snippet], { timeout: 30_000 });
  const lines = stdout.trimEnd().split('\n');
  const status = Number(lines.pop());
  return { status, body: lines.join('\n') };
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

let smtp: TestSmtp;
let t: TestApp;
let server: Server;
let base: string;
let me: SignedUp;
const started: string[] = [];

beforeAll(async () => {
  smtp = await startTestSmtp();
  // No worker: the API answers 202 once the run's workflow is started; nothing needs to execute it.
  t = await createTestApp(testConfig({ SMTP_URL: smtp.url, TRELLIS_SECRET_KEY: randomBytes(32).toString('base64'), TEMPORAL_TASK_QUEUE: `webhook-curl-${randomUUID()}` }));
  server = t.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  me = await signUp(t.app, smtp);
});

afterAll(async () => {
  await Promise.allSettled(started.map((runId) => t.temporal.workflow.getHandle(runId).terminate('test finished')));
  await close(server);
  await t.close();
  await smtp.close();
});

describe('curlExample', () => {
  it('quotes values for bash', () => {
    expect(shellQuote(`it's $HOME`)).toBe(`'it'\\''s $HOME'`);
  });

  it('is accepted by the API with the right secret and refused with a wrong one', async () => {
    const team = me.personalTeamId;
    const workflow = await me.client.post(`/api/v1/teams/${team}/workflows`, { name: 'curl', graph: { nodes: [{ id: 'o', type: 'output', config: { value: '{{ input }}' } }] } });
    expect(workflow.status).toBe(201);
    const hook = await me.client.post(`/api/v1/teams/${team}/workflows/${workflow.body.id}/webhooks`);
    expect(hook.status).toBe(201);
    // The API's own URL names PUBLIC_URL (the web app, which proxies /hooks); call the API directly.
    const url = `${base}/hooks/${hook.body.id as string}`;
    const secret = hook.body.secret as string;

    const accepted = await runSnippet(curlExample({ url, secret, body: { audience: "engineers' team", price: '$5' } }));
    expect(accepted.status).toBe(202);
    const answer = JSON.parse(accepted.body) as { runId: string; duplicate: boolean };
    expect(answer).toMatchObject({ runId: expect.stringMatching(/^run_/), duplicate: false });
    started.push(answer.runId);

    const refused = await runSnippet(curlExample({ url, secret: `${secret}x`, body: { audience: 'engineers' } }));
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body)).toMatchObject({ code: 'invalid_signature' });
  });

  it('sends and signs the exact body bytes, with a fresh delivery id each time', async () => {
    const seen: { body: Buffer; headers: http.IncomingHttpHeaders }[] = [];
    const capture = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        seen.push({ body: Buffer.concat(chunks), headers: req.headers });
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"runId":"run_x"}');
      });
    });
    const url = await listen(capture);
    try {
      const secret = `whsec_${randomBytes(8).toString('hex')}`;
      const body = `{"text":"it's \`date\` $HOME \\"quoted\\" ünïcødé ✓","lines":"a\nb"}`;
      const first = await runSnippet(curlExample({ url: `${url}/hooks/wh_1`, secret, body }));
      await runSnippet(curlExample({ url: `${url}/hooks/wh_1`, secret, body }));
      expect(first).toEqual({ status: 202, body: '{"runId":"run_x"}' });
      expect(seen).toHaveLength(2);
      const [one, two] = seen;
      expect(one!.body.toString('utf8')).toBe(body);
      expect(one!.headers['content-type']).toBe('application/json');
      const signature = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(one!.headers['x-trellis-signature']));
      expect(signature).not.toBeNull();
      const timestamp = Number(signature![1]);
      expect(Math.abs(timestamp - Date.now() / 1000)).toBeLessThan(60);
      expect(signature![2]).toBe(sign(secret, timestamp, one!.body));
      expect(one!.headers['x-trellis-delivery']).toMatch(/^[0-9a-f]{32}$/);
      expect(two!.headers['x-trellis-delivery']).not.toBe(one!.headers['x-trellis-delivery']);
    } finally {
      await close(capture);
    }
  });
});
