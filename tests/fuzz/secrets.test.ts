// Secrets stay secret: one scenario uses every kind of secret Trellis holds — passwords, the email
// verification and password-reset tokens, session tokens, an API key, a stored credential (sent
// by an http node to a local server, also on a failing call) and a webhook signing secret — with
// the api, worker and mail worker logging at debug level to files. Then the logs, the exported
// Temporal histories (payloads decoded), every API answer and the run's SSE stream must hold none
// of the values, nor their base64. Answers whose purpose is to show a secret once (sign-in, a new
// API key, a new webhook) are the only exceptions.
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import { NativeConnection } from '@temporalio/worker';
import { pino } from 'pino';
import { createApp } from '../../api/app.ts';
import { createCredentialService } from '../../core/credentials/service.ts';
import { createVault } from '../../core/credentials/vault.ts';
import { createOrm, migrate, type Orm } from '../../core/db/orm.ts';
import { createLogger } from '../../core/log.ts';
import { createRedis, type Redis } from '../../core/redis/client.ts';
import { createTemporalClient } from '../../core/temporal.ts';
import { sign } from '../../core/webhooks/service.ts';
import { loadWorkflowBundle } from '../../worker/bundle.ts';
import { startMailDelivery } from '../../worker/mail.ts';
import { tempDir, testConfig, testEnv } from '../support/env.ts';
import { json, startHttpTarget } from '../support/http-target.ts';
import { randomIp, uniqueEmail } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { BUNDLE_CACHE, startTestWorker } from '../support/worker.ts';

type Temporal = Awaited<ReturnType<typeof createTemporalClient>>;

const logDir = () => tempDir('secret-logs');

describe('secrets in logs, histories, answers and streams', () => {
  let smtp: TestSmtp;
  let orm: Orm;
  let redis: Redis;
  let temporal: Temporal;
  let server: Server;
  let base: string;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;
  let mail: { shutdown(): void; running: Promise<void>; connection: NativeConnection };
  let target: Awaited<ReturnType<typeof startHttpTarget>>;
  let closeHub: (() => void) | undefined;
  const logs: Record<string, string> = {};
  const taskQueue = `secrets-${randomUUID()}`;
  const mailQueue = `mail-${randomUUID()}`;
  const ip = randomIp();
  /** Every answer body of the scenario (except the three that exist to show a secret once). */
  const answers: string[] = [];

  beforeAll(async () => {
    smtp = await startTestSmtp();
    target = await startHttpTarget({ '/article': json(200, { title: 'Durable runs' }), '/flaky': json(500, { error: 'down' }) });
    const dir = logDir();
    for (const name of ['api', 'worker', 'mail']) logs[name] = join(dir, `${name}.log`);
    const fileLogger = (service: string) => createLogger({ level: 'debug', service, destination: pino.destination({ dest: logs[service] as string, sync: true }) });
    const secretKey = randomBytes(32).toString('base64');
    const config = testConfig({ SMTP_URL: smtp.url, TRELLIS_SECRET_KEY: secretKey, TEMPORAL_TASK_QUEUE: taskQueue, PUBLIC_URL: 'http://app.trellis.test' });
    config.mail = { ...config.mail, taskQueue: mailQueue };
    orm = await createOrm(config.database.url);
    await migrate(orm);
    redis = createRedis(config.redis.url);
    temporal = await createTemporalClient(config.temporal);
    const app = createApp({ config, logger: fileLogger('api'), orm, redis, temporal });
    closeHub = app.locals.close as (() => void) | undefined;
    const connection = await NativeConnection.connect({ address: config.temporal.address });
    const mailLogger = fileLogger('mail');
    const started = await startMailDelivery({ connection, namespace: config.temporal.namespace, workflowBundle: await loadWorkflowBundle(BUNDLE_CACHE, mailLogger), config, orm, logger: mailLogger, sweepIntervalMs: 0 });
    mail = { shutdown: () => started.shutdown(), running: started.run(), connection };
    worker = await startTestWorker({
      address: testEnv.temporalAddress, orm, taskQueue, logger: fileLogger('worker'),
      credentials: createCredentialService({ orm, vault: createVault(secretKey) }).store,
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await worker?.stop();
    mail?.shutdown();
    await mail?.running;
    await mail?.connection.close();
    closeHub?.();
    redis?.disconnect();
    await Promise.allSettled([orm?.close(), temporal?.connection.close(), smtp?.close(), target?.close()]);
  });

  /** One API call; its answer joins the scanned ones unless `shows` names the secret it exists to show. */
  async function call(method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string>; raw?: string; shows?: string } = {}) {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        'X-Forwarded-For': ip,
        ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}),
        ...(options.body !== undefined || options.raw !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...options.headers,
      },
      ...(options.raw !== undefined ? { body: options.raw } : options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    });
    const text = await response.text();
    if (!options.shows) answers.push(`${method} ${path} → ${response.status} ${text}`);
    return { status: response.status, text, body: (text.startsWith('{') ? JSON.parse(text) : {}) as Record<string, unknown> };
  }

  /** The SSE stream of a run, as text, read until the run's final event. */
  async function streamText(team: string, runId: string, token: string): Promise<string> {
    const response = await fetch(`${base}/api/v1/teams/${team}/runs/${runId}/events`, { headers: { Authorization: `Bearer ${token}`, 'X-Forwarded-For': ip } });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = response.body!.getReader();
    let text = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
      if (/^event: run$/m.test(text)) {
        await reader.cancel();
        break;
      }
    }
    return text;
  }

  /** Every workflow on the scenario's task queues (runs, mail deliveries), its history as JSON with each payload decoded too. */
  async function histories(): Promise<string[]> {
    const texts: string[] = [];
    for (const queue of [taskQueue, mailQueue]) {
      for await (const execution of temporal.workflow.list({ query: `TaskQueue = "${queue}"` })) {
        const history = await temporal.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
        const text = historyToJSON(history);
        const decoded = [...text.matchAll(/"data":\s*"([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1] as string, 'base64').toString('utf8'));
        texts.push(`${execution.workflowId} ${text}\n${decoded.join('\n')}`);
      }
    }
    return texts;
  }

  /** Every row of every table, as JSON, once the mail worker has sent (and so emptied) every message. */
  async function databaseRows(): Promise<string[]> {
    const connection = orm.em.fork().getConnection();
    for (let polls = 0; ; polls++) {
      const [waiting] = (await connection.execute(`select count(*) as n from mail_outbox where status = 'queued'`)) as { n: number }[];
      if (Number(waiting?.n) === 0) break;
      if (polls > 600) throw new Error('mail still queued');
      await new Promise((r) => setTimeout(r, 50));
    }
    const tables = (await connection.execute(`select name from sqlite_master where type = 'table'`)) as { name: string }[];
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['user_account', 'session', 'api_key', 'credential', 'mail_outbox']));
    return Promise.all(tables.map(async ({ name }) => `${name} ${JSON.stringify(await connection.execute(`select * from "${name}"`))}`));
  }

  it('leaves no password, token, key, credential or webhook secret in logs, histories, answers or streams', async () => {
    const secrets: Record<string, string> = {};
    const email = uniqueEmail('secrets');
    secrets.password = `first-${randomBytes(9).toString('hex')}`;
    secrets.newPassword = `second-${randomBytes(9).toString('hex')}`;
    secrets.credential = `cred-${randomBytes(16).toString('hex')}`;

    // Sign-up: the verification link's token, then a session.
    expect((await call('POST', '/api/v1/auth/register', { body: { email, password: secrets.password, name: 'Secret Keeper' } })).status).toBe(202);
    secrets.verifyToken = (await smtp.linkFor(email, '/verify-email')).searchParams.get('token') as string;
    expect((await call('POST', '/api/v1/auth/verify-email', { body: { token: secrets.verifyToken } })).status).toBe(200);
    const first = await call('POST', '/api/v1/auth/login', { body: { email, password: secrets.password }, shows: 'session token' });
    expect(first.status).toBe(200);
    secrets.session = first.body.token as string;
    const me = await call('GET', '/api/v1/me', { token: secrets.session });
    const team = (me.body.teams as { id: string; personal: boolean }[]).find((t) => t.personal)!.id;

    // Password reset: the emailed token, a new password, a new session (the old one is revoked).
    expect((await call('POST', '/api/v1/auth/password-reset', { body: { email } })).status).toBe(202);
    secrets.resetToken = (await smtp.linkFor(email, '/reset-password', { subject: /reset/i })).searchParams.get('token') as string;
    expect((await call('POST', '/api/v1/auth/password-reset/confirm', { body: { token: secrets.resetToken, password: secrets.newPassword } })).status).toBe(200);
    expect((await call('GET', '/api/v1/me', { token: secrets.session })).status).toBe(401);
    expect((await call('POST', '/api/v1/auth/login', { body: { email, password: secrets.password } })).status).toBe(401);
    const second = await call('POST', '/api/v1/auth/login', { body: { email, password: secrets.newPassword }, shows: 'session token' });
    secrets.newSession = second.body.token as string;
    const token = secrets.newSession;

    // A stored credential, used by an http node (once successfully, once against a failing server).
    const credential = await call('POST', `/api/v1/teams/${team}/credentials`, { token, body: { name: 'article-api', type: 'http_bearer', data: { token: secrets.credential }, allowedHosts: ['127.0.0.1'] } });
    expect(credential.status).toBe(201);
    const credentialId = credential.body.id as string;
    await call('GET', `/api/v1/teams/${team}/credentials`, { token });
    const graph = {
      nodes: [
        { id: 'fetch', type: 'http', config: { url: `${target.url}/article`, credentialId } },
        { id: 'flaky', type: 'http', onError: 'continue', retry: { maxAttempts: 2 }, config: { url: `${target.url}/flaky`, credentialId } },
        { id: 'done', type: 'output', config: { value: { title: '{{ steps.fetch.output.body.title }}' } } },
      ],
      edges: [{ from: 'fetch', to: 'flaky' }, { from: 'flaky', to: 'done' }],
    };
    const workflow = await call('POST', `/api/v1/teams/${team}/workflows`, { token, body: { name: 'Secrets', graph } });
    expect(workflow.status).toBe(201);
    const workflowId = workflow.body.id as string;

    // An API key starts a run.
    const key = await call('POST', `/api/v1/teams/${team}/api-keys`, { token, body: { name: 'ci', scopes: ['workflows:read', 'runs:read', 'runs:write'] }, shows: 'api key' });
    expect(key.status).toBe(201);
    secrets.apiKey = key.body.key as string;
    await call('GET', `/api/v1/teams/${team}/api-keys`, { token });
    const byKey = await call('POST', `/api/v1/teams/${team}/workflows/${workflowId}/runs`, { token: secrets.apiKey, body: { input: { via: 'api key' } } });
    expect(byKey.status).toBe(202);

    // A signed webhook starts another.
    const hook = await call('POST', `/api/v1/teams/${team}/workflows/${workflowId}/webhooks`, { token, shows: 'webhook secret' });
    expect(hook.status).toBe(201);
    secrets.webhookSecret = hook.body.secret as string;
    await call('GET', `/api/v1/teams/${team}/workflows/${workflowId}/webhooks`, { token });
    const payload = JSON.stringify({ via: 'webhook' });
    const ts = Math.floor(Date.now() / 1000);
    const delivered = await call('POST', `/hooks/${hook.body.id as string}`, { raw: payload, headers: { 'X-Trellis-Signature': `t=${ts},v1=${sign(secrets.webhookSecret, ts, payload)}`, 'X-Trellis-Delivery': randomUUID() } });
    expect(delivered.status).toBe(202);

    const streams: string[] = [];
    for (const runId of [byKey.body.runId as string, delivered.body.runId as string]) {
      streams.push(await streamText(team, runId, token));
      const run = await call('GET', `/api/v1/teams/${team}/runs/${runId}`, { token: secrets.apiKey });
      expect(run.body).toMatchObject({ status: 'succeeded', output: { title: 'Durable runs' } });
      await call('GET', `/api/v1/teams/${team}/runs/${runId}/nodes/fetch/output`, { token });
      await call('GET', `/api/v1/teams/${team}/runs/${runId}/nodes/flaky/output`, { token });
    }
    await call('GET', `/api/v1/teams/${team}/runs`, { token });
    await call('GET', '/api/v1/me/sessions', { token });
    await call('GET', '/api/v1/me/logins', { token });
    // The credential did its work: the target saw it on every call.
    const sent = target.hits.filter((h) => h.path === '/article' || h.path === '/flaky');
    expect(sent.length).toBeGreaterThanOrEqual(4);
    for (const hit of sent) expect(hit.headers.authorization).toBe(`Bearer ${secrets.credential}`);

    // The places a secret could end up.
    const places: Record<string, string[]> = {
      'api log': [readFileSync(logs.api as string, 'utf8')],
      'worker log': [readFileSync(logs.worker as string, 'utf8')],
      'mail worker log': [readFileSync(logs.mail as string, 'utf8')],
      'Temporal history': await histories(),
      'API answer': answers,
      'SSE stream': streams,
      // At rest too: passwords and tokens are stored hashed, credentials encrypted, sent mail without its body.
      database: await databaseRows(),
    };
    // The scan must see what happened: logs at debug level and every run's history.
    expect(places['api log']![0]!.split('\n').length).toBeGreaterThan(20);
    expect(places['worker log']![0]!.length).toBeGreaterThan(0);
    expect(places['Temporal history']!.length).toBeGreaterThanOrEqual(2);
    expect(places['Temporal history']!.join('\n')).toContain('Durable runs');
    expect(places['Temporal history']!.filter((h) => h.includes('mailDelivery')).length).toBeGreaterThanOrEqual(2);

    const leaks: string[] = [];
    for (const [secret, value] of Object.entries(secrets)) {
      expect(value.length).toBeGreaterThanOrEqual(12);
      const forms = [value, Buffer.from(value).toString('base64').replace(/=+$/, ''), Buffer.from(value).toString('base64url'), encodeURIComponent(value)];
      for (const [place, texts] of Object.entries(places)) {
        for (const text of texts) {
          const form = forms.find((f) => text.includes(f));
          if (form) {
            const at = text.indexOf(form);
            leaks.push(`${secret} in ${place}${form === value ? '' : ' (encoded)'}: …${text.slice(Math.max(0, at - 200), at + form.length + 60)}…`);
          }
        }
      }
    }
    console.log(`secrets scan: ${Object.keys(secrets).length} secrets × ${Object.entries(places).map(([place, texts]) => `${texts.length} ${place}`).join(', ')} (${Math.round(Object.values(places).flat().join('').length / 1024)} KB); ${leaks.length} leaks${leaks.length ? `:\n${leaks.join('\n\n')}` : ''}`);
    expect(leaks).toEqual([]);
  });
});
