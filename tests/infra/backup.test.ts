// `npm run backup` / `npm run restore` round trip, on SQLite and PostgreSQL app databases: a stack
// with its own Temporal dev server file parks two runs on approvals and stores a credential; the
// backup is taken while everything runs; that stack goes away; the archive is restored into an
// empty data folder (refused into a non-empty one, or with the wrong vault key), a fresh Temporal
// dev server starts on the restored file with a fresh api and worker, and the parked runs are
// approved to completion there — the same session still signed in.
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { createCredentialService } from '../../core/credentials/service.ts';
import { createVault, vaultKey } from '../../core/credentials/vault.ts';
import { freePort, ROOT, startTemporalDevServer, type Service } from '../../infra/scripts/services.ts';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { freshPostgresUrl, tempDir, testConfig } from '../support/env.ts';
import { Client, signUp } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { startTestWorker } from '../support/worker.ts';

const run = promisify(execFile);

interface Stack {
  temporal: Service;
  t: TestApp;
  worker: Awaited<ReturnType<typeof startTestWorker>>;
  stop(): Promise<void>;
}

async function startStack(env: Record<string, string>, dataDir: string, taskQueue: string): Promise<Stack> {
  const port = await freePort();
  const temporal = await startTemporalDevServer({ port, dbFile: join(dataDir, 'temporal.db'), searchAttributes: SEARCH_ATTRIBUTES, logFile: join(dataDir, '..', `temporal-${port}.log`) });
  const config = testConfig({ ...env, TRELLIS_DATA_DIR: dataDir, TEMPORAL_ADDRESS: `127.0.0.1:${port}`, TEMPORAL_TASK_QUEUE: taskQueue });
  const t = await createTestApp(config);
  const worker = await startTestWorker({
    address: config.temporal.address, orm: t.orm, taskQueue,
    credentials: createCredentialService({ orm: t.orm, vault: createVault(config.secretKey!) }).store,
  });
  return {
    temporal, t, worker,
    async stop() {
      await worker.stop();
      await t.close();
      await temporal.stop(15_000);
    },
  };
}

/** Runs the npm script's command (`node infra/scripts/backup.ts …`) with the given environment. */
async function cli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(ROOT, 'infra/scripts/backup.ts'), ...args], { cwd: ROOT, env: { ...process.env, LOG_LEVEL: 'silent', ...env } });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, out: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

async function until<T>(what: string, probe: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const sqliteUrl = (dir: string) => `sqlite:${join(dir, 'trellis.sqlite')}`;

describe.each([
  ['SQLite', async (dir: string) => sqliteUrl(dir)],
  ['PostgreSQL', async () => freshPostgresUrl()],
])('backup and restore with a %s app database', (_name, databaseUrl) => {
  let smtp: TestSmtp;
  let stack: Stack | undefined;

  beforeAll(async () => {
    smtp = await startTestSmtp();
  });
  afterAll(async () => {
    await stack?.stop();
    await smtp?.close();
  });

  it('restores runs parked on approvals elsewhere, and they finish there', async () => {
    const secretKey = randomBytes(32).toString('base64');
    const taskQueue = `backup-${randomUUID()}`;
    const first = tempDir('backup-a');
    const firstEnv = { DATABASE_URL: await databaseUrl(first), TRELLIS_SECRET_KEY: secretKey, SMTP_URL: smtp.url };
    stack = await startStack(firstEnv, first, taskQueue);
    const me = await signUp(stack.t.app, smtp);
    const team = me.personalTeamId;
    const credential = await me.client.post(`/api/v1/teams/${team}/credentials`, { name: 'token', type: 'http_bearer', data: { token: 'kept-secret' }, allowedHosts: ['api.example.test'] });
    expect(credential.status).toBe(201);
    const workflow = await me.client.post(`/api/v1/teams/${team}/workflows`, {
      name: 'parked',
      graph: {
        nodes: [
          { id: 'first', type: 'transform', config: { expression: 'input.n * 10' } },
          { id: 'ask', type: 'approval', config: { message: 'go on with {{ steps.first.output }}?' } },
          { id: 'done', type: 'output', config: { value: '{{ steps.first.output }}' } },
        ],
        edges: [{ from: 'first', to: 'ask' }, { from: 'ask', port: 'approved', to: 'done' }],
      },
    });
    expect(workflow.status).toBe(201);
    const runIds: string[] = [];
    for (const n of [1, 2]) {
      const started = await me.client.post(`/api/v1/teams/${team}/workflows/${workflow.body.id}/runs`, { input: { n } });
      expect(started.status).toBe(202);
      runIds.push(started.body.runId as string);
    }
    for (const runId of runIds) {
      await until(`run ${runId} parked`, async () => (await me.client.get(`/api/v1/teams/${team}/runs/${runId}`)).body.status, (s) => s === 'waiting');
    }

    // The backup, taken while the stack runs.
    const archive = join(tempDir('backup-out'), 'trellis.tar.gz');
    const backup = await cli(['backup', '--out', archive], { ...firstEnv, TRELLIS_DATA_DIR: first });
    expect(backup).toMatchObject({ code: 0 });
    expect(backup.out).toContain('backup written to');
    const tar = gunzipSync(readFileSync(archive)).toString('latin1');
    expect(tar).toContain('manifest.json');
    expect(tar).toContain('temporal.db');
    expect(tar).not.toContain(secretKey); // the key id only, never the key
    await stack.stop();
    stack = undefined;

    // Refusals: a non-empty data folder, a key that did not seal the stored credential.
    const second = tempDir('backup-b');
    const secondEnv = { DATABASE_URL: await databaseUrl(second), TRELLIS_SECRET_KEY: secretKey, SMTP_URL: smtp.url };
    const notEmpty = await cli(['restore', archive], { ...secondEnv, TRELLIS_DATA_DIR: first });
    expect(notEmpty.code).toBe(1);
    expect(notEmpty.out).toContain('is not empty');
    const wrongKey = await cli(['restore', archive], { ...secondEnv, TRELLIS_DATA_DIR: second, TRELLIS_SECRET_KEY: randomBytes(32).toString('base64') });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.out).toContain(`sealed with vault key ${vaultKey(secretKey).id}`);
    expect(existsSync(join(second, 'temporal.db'))).toBe(false);

    const restored = await cli(['restore', archive], { ...secondEnv, TRELLIS_DATA_DIR: second });
    expect(restored).toMatchObject({ code: 0 });
    expect(existsSync(join(second, 'temporal.db'))).toBe(true);

    // Elsewhere: a fresh Temporal dev server on the restored file, a fresh api and worker.
    stack = await startStack(secondEnv, second, taskQueue);
    const client = new Client(stack.t.app, { token: me.token });
    expect((await client.get(`/api/v1/teams/${team}/credentials`)).body.items.map((c: { name: string }) => c.name)).toEqual(['token']);
    for (const [index, runId] of runIds.entries()) {
      const parked = await client.get(`/api/v1/teams/${team}/runs/${runId}`);
      expect(parked.body).toMatchObject({ status: 'waiting', nodes: { ask: { status: 'waiting' } } });
      const approved = await client.post(`/api/v1/teams/${team}/runs/${runId}/approvals/ask`, { decision: 'approve' });
      expect(approved.status).toBe(200);
      const done = await until(`run ${runId} finished`, async () => (await client.get(`/api/v1/teams/${team}/runs/${runId}`)).body, (body) => body.status !== 'waiting' && body.status !== 'running');
      expect(done).toMatchObject({ status: 'succeeded', output: (index + 1) * 10 });
    }
  }, 240_000);
});
