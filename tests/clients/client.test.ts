// @trellis/client against a listening api and a real worker: error answers arrive as typed
// TrellisProblems (status, code, problems[]), each auth kind works, workflows version on a graph
// change only, an idempotency key returns the same run, and the live-event iterator follows a run
// to its end across the server's stream lifetime (it reconnects by itself and gets a fresh snapshot).
import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TrellisClient, TrellisProblem, type RunStreamEvent, type TeamClient } from '../../clients/typescript/index.ts';
import { Team } from '../../core/teams/entities.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { freshPostgresUrl, testConfig, testEnv } from '../support/env.ts';
import { cookieFrom, signUp, type SignedUp } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { startTestWorker } from '../support/worker.ts';

let smtp: TestSmtp;
let t: TestApp;
/** A second api on the same database whose streams live one second: runs outlive several of them. */
let shortLived: TestApp;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
const servers: Server[] = [];
let base: string;
let shortBase: string;
let me: SignedUp;
let apiKey: string;
let team: TeamClient;

const GRAPH = {
  nodes: [
    { id: 'total', type: 'transform', config: { expression: '$sum(input.items.price)' } },
    { id: 'out', type: 'output', config: { value: '{{ steps.total.output }}' } },
  ],
  edges: [{ from: 'total', to: 'out' }],
};

beforeAll(async () => {
  smtp = await startTestSmtp();
  const shared = {
    SMTP_URL: smtp.url, TRELLIS_SECRET_KEY: randomBytes(32).toString('base64'), TEMPORAL_TASK_QUEUE: `client-${randomUUID()}`,
    DATABASE_URL: await freshPostgresUrl(),
  };
  // Two streams per principal: a stream the client left open refuses the next (429 sse_limit) for as long as it lives.
  const config = testConfig({ ...shared, TRELLIS_SSE_PER_PRINCIPAL: '2' });
  t = await createTestApp(config);
  shortLived = await createTestApp(testConfig({ ...shared, TRELLIS_SSE_MAX_LIFETIME_SECONDS: '1' }), { mail: false });
  worker = await startTestWorker({ address: testEnv.temporalAddress, orm: t.orm, taskQueue: config.temporal.taskQueue });
  me = await signUp(t.app, smtp);
  await t.orm.em.fork().nativeUpdate(Team, { id: me.personalTeamId }, { plan: 'enterprise' });
  const key = await me.client.post(`/api/v1/teams/${me.personalTeamId}/api-keys`, { name: 'client test', scopes: ['workflows:read', 'workflows:write', 'runs:read', 'runs:write'] });
  expect(key.status).toBe(201);
  apiKey = key.body.key as string;
  [base, shortBase] = await Promise.all([t, shortLived].map(async ({ app }) => {
    const server = app.listen(0, '127.0.0.1');
    servers.push(server);
    await new Promise((resolve) => server.once('listening', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  })) as [string, string];
  team = new TrellisClient({ baseUrl: base, auth: { apiKey } }).team(me.personalTeamId);
});

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  await worker.stop();
  await Promise.all([t.close(), shortLived.close()]);
  await smtp.close();
});

async function problemOf(promise: Promise<unknown>): Promise<TrellisProblem> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(TrellisProblem);
  return error as TrellisProblem;
}

describe('errors', () => {
  it('throws an invalid graph as a 422 TrellisProblem listing every problem with its path', async () => {
    const problem = await problemOf(team.workflows.create({
      name: 'broken', graph: { nodes: [{ id: 'a', type: 'transform', config: {} }, { id: 'b', type: 'nope', config: {} }], edges: [{ from: 'a', to: 'zz' }] },
    }));
    expect(problem.status).toBe(422);
    expect(typeof problem.code).toBe('string');
    expect(problem.problems.length).toBeGreaterThanOrEqual(2);
    for (const item of problem.problems) expect(item).toEqual({ path: expect.any(String), message: expect.any(String) });
    expect(problem.problems.map((p) => p.path).join(' ')).toMatch(/nodes/);
  });

  it('throws 404 not_found for another team and 401 invalid_api_key for an unknown key', async () => {
    const elsewhere = new TrellisClient({ baseUrl: base, auth: { apiKey } }).team('team_someone_else');
    expect(await problemOf(elsewhere.workflows.list())).toMatchObject({ status: 404, code: 'not_found' });
    const unknown = new TrellisClient({ baseUrl: base, auth: { apiKey: `trk_${'x'.repeat(32)}` } }).team(me.personalTeamId);
    expect(await problemOf(unknown.workflows.list())).toMatchObject({ status: 401, code: 'invalid_api_key' });
  });

  it('signs in with a session token and with the web session cookie', async () => {
    const session = await TrellisClient.login(base, { email: me.email, password: me.password });
    const byToken = await new TrellisClient({ baseUrl: base, auth: { sessionToken: session.token } }).me();
    expect(byToken.teams.map((x) => x.id)).toContain(me.personalTeamId);
    const login = await me.client.post('/api/v1/auth/login', { email: me.email, password: me.password });
    const cookie = cookieFrom(login, 'trellis_session');
    expect(cookie).toBeDefined();
    const byCookie = await new TrellisClient({ baseUrl: base, auth: { cookie: `trellis_session=${cookie!.value}` } }).me();
    expect(byCookie.user.email).toBe(me.email);
    expect(await problemOf(TrellisClient.login(base, { email: me.email, password: 'wrong-password-1' }))).toMatchObject({ status: 401 });
  });
});

describe('workflows and runs', () => {
  it('creates, updates (a new version only for a new graph) and lists versions', async () => {
    const created = await team.workflows.create({ name: `totals ${randomUUID()}`, description: 'sums prices', graph: GRAPH });
    expect(created.version).toBe(1);
    const renamed = await team.workflows.update(created.id, { description: 'sums all prices' });
    expect(renamed.version).toBe(1);
    const changed = await team.workflows.update(created.id, { graph: { ...GRAPH, nodes: [{ ...GRAPH.nodes[0]!, config: { expression: '$sum(input.items.price) * 2' } }, GRAPH.nodes[1]!] } });
    expect(changed.version).toBe(2);
    expect((await team.workflows.versions(created.id)).map((v) => v.version)).toEqual([2, 1]);
    expect((await team.workflows.version(created.id, 1)).graph).toMatchObject({ nodes: [{ config: { expression: '$sum(input.items.price)' } }, { id: 'out' }] });
    const listed: string[] = [];
    for await (const w of team.workflows.all()) listed.push(w.id);
    expect(listed).toContain(created.id);
  });

  it('returns the same run for the same idempotency key and reads its output', async () => {
    const wf = await team.workflows.create({ name: `idem ${randomUUID()}`, graph: GRAPH });
    const key = randomUUID();
    const first = await team.runs.start(wf.id, { input: { items: [{ price: 2 }, { price: 3 }] }, idempotencyKey: key, priority: 2 });
    const second = await team.runs.start(wf.id, { input: { items: [{ price: 2 }, { price: 3 }] }, idempotencyKey: key, priority: 2 });
    expect(second.runId).toBe(first.runId);
    let last: RunStreamEvent | undefined;
    for await (const event of team.runs.events(first.runId)) last = event;
    expect(last).toMatchObject({ type: 'run', status: 'succeeded', output: 5 });
    expect(await team.runs.output(first.runId)).toBe(5);
    const run = await team.runs.get(first.runId);
    expect(run).toMatchObject({ status: 'succeeded', priority: 2, nodes: { total: { status: 'succeeded', output: 5 } } });
    expect((await team.runs.list({ workflowId: wf.id })).items.map((r) => r.runId)).toEqual([first.runId]);
  });

  it('follows a run that outlives the stream: reconnects, gets a fresh snapshot and ends with the run event', async () => {
    const wf = await team.workflows.create({
      name: `slow ${randomUUID()}`,
      graph: { nodes: [{ id: 'wait', type: 'delay', config: { duration: '3s' } }, { id: 'out', type: 'output', config: { value: '{{ input.n }}' } }], edges: [{ from: 'wait', to: 'out' }] },
    });
    const { runId } = await team.runs.start(wf.id, { input: { n: 7 } });
    const events: RunStreamEvent[] = [];
    const short = new TrellisClient({ baseUrl: shortBase, auth: { apiKey } }).team(me.personalTeamId);
    for await (const event of short.runs.events(runId, { retryMs: 50 })) events.push(event);
    const types = events.map((e) => e.type);
    expect(types[0]).toBe('snapshot');
    expect(types).toContain('reconnect');
    expect(types.filter((x) => x === 'snapshot').length).toBeGreaterThanOrEqual(2);
    expect(events.at(-1)).toMatchObject({ type: 'run', runId, status: 'succeeded', output: 7 });
    // Every event after the first carries the stream's id, which a reconnection sends back.
    expect(events.every((e) => typeof e.id === 'string')).toBe(true);
  });

  it('closes the stream when the caller breaks out of the loop, and a stream of another team is a 404 problem', async () => {
    const wf = await team.workflows.create({ name: `held ${randomUUID()}`, graph: { nodes: [{ id: 'wait', type: 'delay', config: { duration: '10m' } }] } });
    const { runId } = await team.runs.start(wf.id, {});
    // Four streams in a row with room for two: each opens only once the ones before it were closed
    // (the server frees a slot when it sees the connection go, so a refusal is retried briefly).
    for (let i = 0; i < 4; i++) {
      const deadline = Date.now() + 10_000;
      for (;;) {
        try {
          let first: RunStreamEvent | undefined;
          for await (const event of team.runs.events(runId)) {
            first = event;
            break;
          }
          expect(first?.type).toBe('snapshot');
          break;
        } catch (error) {
          if (!(error instanceof TrellisProblem && error.code === 'sse_limit') || Date.now() > deadline) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    }
    const other = new TrellisClient({ baseUrl: base, auth: { apiKey } }).team('team_not_mine');
    expect(await problemOf(other.runs.events(runId).next())).toMatchObject({ status: 404 });
    await team.runs.cancel(runId);
    expect(await team.runs.get(runId)).toMatchObject({ status: expect.stringMatching(/running|cancelled/) });
  });

  it('lists a workflow’s webhooks', async () => {
    const wf = await team.workflows.create({ name: `hooked ${randomUUID()}`, graph: GRAPH });
    const hook = await me.client.post(`/api/v1/teams/${me.personalTeamId}/workflows/${wf.id}/webhooks`, { priority: 2 });
    expect(hook.status).toBe(201);
    expect(await team.webhooks.list(wf.id)).toEqual([expect.objectContaining({ id: hook.body.id, priority: 2, workflowId: wf.id })]);
  });
});
