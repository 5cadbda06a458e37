// Fuzzing the api: every route of the OpenAPI document it serves gets generated bad bodies, path
// parameters, query strings and headers, as a signed-in member of a team and anonymously. Hostile
// input is normal input: no answer may be a 5xx, no request may hang, and every 4xx is
// application/problem+json with a `code` (and `problems[]` for validation errors).
// FUZZ_SEED=<n> reproduces a run; the counts are printed at the end.
import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { answerParserErrors } from '../../api/middleware/errors.ts';
import { sign } from '../../core/webhooks/service.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig, testDatabases, testEnv } from '../support/env.ts';
import { signUp, type SignedUp } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { startTestWorker } from '../support/worker.ts';
import { bodyCases, headerCases, pathValues, prng, queryCases, type BodyCase } from './generate.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261129);
const REQUEST_TIMEOUT_MS = 20_000;
const CONCURRENCY = 4;
const METHODS = new Set(['get', 'post', 'put', 'patch', 'delete']);
/** Codes of validation errors: these name each bad field in `problems[]`. */
const VALIDATION_CODES = new Set(['invalid_request', 'invalid_query', 'invalid_graph']);

interface Operation {
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema?: unknown }> };
}
interface Route { method: string; path: string; op: Operation }
interface Probe {
  route: Route;
  principal: 'user' | 'anonymous';
  label: string;
  url: string;
  body?: BodyCase;
  headers?: Record<string, string>;
}
interface Answer { status: number; contentType: string; text: string; timedOut: boolean; error?: string }

let smtp: TestSmtp;
let t: TestApp;
let server: Server;
let port: number;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
let me: SignedUp;
const ids: Record<string, string> = {};
let hookSecret = '';

/** One request over a real socket, with a deadline: a hang is an answer too. */
function send(method: string, url: string, headers: Record<string, string>, body: Buffer | undefined): Promise<Answer> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (answer: Answer) => {
      if (done) return;
      done = true;
      resolve(answer);
    };
    const req = httpRequest({ host: '127.0.0.1', port, method: method.toUpperCase(), path: url, headers: { ...headers, ...(body ? { 'Content-Length': String(body.length) } : {}) } }, (res) => {
      const contentType = String(res.headers['content-type'] ?? '');
      // An event stream stays open by design: its headers are the answer.
      if (contentType.startsWith('text/event-stream')) {
        res.destroy();
        return finish({ status: res.statusCode ?? 0, contentType, text: '', timedOut: false });
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => finish({ status: res.statusCode ?? 0, contentType, text: Buffer.concat(chunks).toString(), timedOut: false }));
      res.on('error', (error) => finish({ status: res.statusCode ?? 0, contentType, text: '', timedOut: false, error: error.message }));
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => {
      finish({ status: 0, contentType: '', text: '', timedOut: true });
      req.destroy();
    });
    req.on('error', (error) => finish({ status: 0, contentType: '', text: '', timedOut: false, error: error.message }));
    req.end(body);
  });
}

/** Bytes in, bytes out, over a raw socket: for requests no HTTP client would send. */
function rawExchange(request: string): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('close', () => resolve(answer));
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy());
  });
}

/** What is wrong with an answer, or undefined. */
function fault(answer: Answer): string | undefined {
  if (answer.timedOut) return `no answer within ${REQUEST_TIMEOUT_MS} ms`;
  if (answer.error) return `connection error: ${answer.error}`;
  if (answer.status >= 500) return `${answer.status} ${answer.text.slice(0, 300)}`;
  if (answer.status < 400) return undefined;
  if (!answer.contentType.startsWith('application/problem+json')) return `${answer.status} as ${answer.contentType || 'no content type'}: ${answer.text.slice(0, 200)}`;
  let body: { code?: unknown; problems?: unknown };
  try {
    body = JSON.parse(answer.text) as typeof body;
  } catch {
    return `${answer.status} problem+json that is not JSON: ${answer.text.slice(0, 200)}`;
  }
  if (typeof body.code !== 'string' || body.code === '') return `${answer.status} without a code: ${answer.text.slice(0, 200)}`;
  if (VALIDATION_CODES.has(body.code) && answer.status !== 404 && !(Array.isArray(body.problems) && body.problems.length > 0)) return `${answer.status} ${body.code} without problems[]: ${answer.text.slice(0, 200)}`;
  return undefined;
}

/** A concrete URL for a route: each path parameter a real id of the fuzzing user's team (or `override`). */
function urlFor(route: Route, override?: { name: string; value: string }, query?: string): string {
  const path = route.path.replace(/\{(\w+)\}/g, (_m, name: string) => (override?.name === name ? override.value : encodeURIComponent(ids[name] ?? `x_${name}`)));
  return query ? `${path}?${query}` : path;
}

function probesFor(route: Route, principal: Probe['principal'], r: ReturnType<typeof prng>): Probe[] {
  const full = principal === 'user';
  const probes: Probe[] = [];
  const schema = Object.values(route.op.requestBody?.content ?? {})[0]?.schema as Parameters<typeof bodyCases>[1];
  const hints = { graph: validGraph(), input: { x: 1 }, cron: '0 3 * * *', timezone: 'UTC', email: 'fuzz@example.test', role: 'viewer', decision: 'approve', fromNode: 'review' };
  // Routes without a body still meet a few bodies (a body where none is expected).
  const bodies = bodyCases(r, schema, hints, full && Boolean(schema));
  for (const body of schema || route.method !== 'get' ? bodies : bodies.slice(0, 6)) probes.push({ route, principal, label: `body ${body.label}`, url: urlFor(route), body });
  const params = (route.op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
  for (const name of params) {
    for (const value of pathValues(r, full)) probes.push({ route, principal, label: `path ${name}=${value.slice(0, 24)}`, url: urlFor(route, { name, value }) });
  }
  const queryNames = (route.op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
  const queries = queryCases(r, queryNames);
  for (const query of full ? queries : queries.filter(() => r.chance(0.1))) probes.push({ route, principal, label: `query ${query.slice(0, 40)}`, url: urlFor(route, undefined, query) });
  for (const { label, headers } of full ? headerCases() : headerCases().filter(() => r.chance(0.3))) probes.push({ route, principal, label: `header ${label}`, url: urlFor(route), headers });
  // The webhook endpoint verifies signatures first: hostile bodies signed with the real secret reach the parser too.
  if (route.path === '/hooks/{webhookId}' && full) {
    for (const body of bodies) {
      const ts = Math.floor(Date.now() / 1000);
      probes.push({ route, principal, label: `signed body ${body.label}`, url: urlFor(route), body, headers: { 'X-Trellis-Signature': `t=${ts},v1=${sign(hookSecret, ts, body.body)}`, 'X-Trellis-Delivery': randomUUID() } });
    }
  }
  return probes;
}

const validGraph = () => ({
  nodes: [
    { id: 'review', type: 'approval', config: { message: 'Go on?' } },
    { id: 'done', type: 'output', config: { value: '{{ input.x }}' } },
  ],
  edges: [{ from: 'review', port: 'approved', to: 'done' }],
});

async function signedInToken(): Promise<string> {
  const check = await send('get', '/api/v1/me', { Authorization: `Bearer ${me.token}`, 'X-Forwarded-For': me.client.ip }, undefined);
  if (check.status === 200) return me.token;
  // A probe of logout or of DELETE /me/sessions/{id} may have ended the session: sign in again.
  const login = await me.client.withToken(undefined).post('/api/v1/auth/login', { email: me.email, password: me.password });
  if (login.status !== 200) throw new Error(`re-login: ${login.status} ${JSON.stringify(login.body)}`);
  me.token = login.body.token as string;
  return me.token;
}

describe.each(testDatabases)('api fuzzing (%s)', (_name, databaseUrl) => {
  let routes: Route[];

  // A 5xx logs its stack at level error: shown (with its requestId) only when something fails.
  const logLevel = process.env.TEST_API_LOG;
  beforeAll(async () => {
    process.env.TEST_API_LOG = logLevel ?? 'error';
    smtp = await startTestSmtp();
    const taskQueue = `fuzz-${randomUUID()}`;
    t = await createTestApp(testConfig({ DATABASE_URL: await databaseUrl(), SMTP_URL: smtp.url, TEMPORAL_TASK_QUEUE: taskQueue, TRELLIS_SECRET_KEY: randomBytes(32).toString('base64'), TRELLIS_DIAGNOSTICS: 'true' }));
    worker = await startTestWorker({ address: testEnv.temporalAddress, orm: t.orm, taskQueue });
    server = t.app.listen(0, '127.0.0.1');
    answerParserErrors(server);
    await new Promise((r) => server.once('listening', r));
    port = (server.address() as AddressInfo).port;
    me = await signUp(t.app, smtp);
    const c = me.client;
    const team = me.personalTeamId;
    ids.teamId = team;
    ids.userId = me.user.id;
    const workflow = await c.post(`/api/v1/teams/${team}/workflows`, { name: 'fuzz target', graph: validGraph() });
    expect(workflow.status).toBe(201);
    ids.id = workflow.body.id as string;
    ids.version = '1';
    const hook = await c.post(`/api/v1/teams/${team}/workflows/${ids.id}/webhooks`);
    expect(hook.status).toBe(201);
    ids.webhookId = hook.body.id as string;
    hookSecret = hook.body.secret as string;
    const schedule = await c.post(`/api/v1/teams/${team}/workflows/${ids.id}/schedules`, { cron: '0 3 * * *' });
    expect(schedule.status).toBe(201);
    ids.scheduleId = schedule.body.id as string;
    const run = await c.post(`/api/v1/teams/${team}/workflows/${ids.id}/runs`, { input: { x: 1 } });
    expect(run.status).toBe(202);
    ids.runId = run.body.runId as string;
    ids.nodeId = 'review';
    const credential = await c.post(`/api/v1/teams/${team}/credentials`, { name: 'fuzz', type: 'http_bearer', data: { token: 'fuzz-token' }, allowedHosts: ['api.fuzz.example'] });
    ids.credentialId = credential.body.id as string;
    const key = await c.post(`/api/v1/teams/${team}/api-keys`, { name: 'fuzz', scopes: ['runs:read'] });
    ids.keyId = key.body.id as string;
    const invitation = await c.post(`/api/v1/teams/${team}/invitations`, { email: 'invitee@example.test', role: 'viewer' });
    ids.invitationId = invitation.body.id as string;
    ids.token = 'not-a-real-invitation-token';
    ids.provider = 'github';
    const sessions = await c.get('/api/v1/me/sessions');
    ids.sessionId = (sessions.body.items as { id: string }[])[0]?.id ?? 'none';
    const doc = await c.get('/api/v1/openapi.json');
    routes = Object.entries(doc.body.paths as Record<string, Record<string, Operation>>).flatMap(([path, ops]) =>
      Object.entries(ops).filter(([m]) => METHODS.has(m)).map(([method, op]) => ({ method, path, op })),
    // POST /mcp speaks JSON-RPC (its errors are JSON-RPC objects, not problems): tests/api/mcp.test.ts covers it.
    ).filter((route) => route.path !== '/mcp');
    // Destructive routes last, so the ids above stay valid for the others; logout last of all.
    const rank = (r: Route) => (r.path === '/api/v1/auth/logout' ? 2 : r.method === 'delete' ? 1 : 0);
    routes.sort((a, b) => rank(a) - rank(b));
  });

  afterAll(async () => {
    if (logLevel === undefined) delete process.env.TEST_API_LOG;
    else process.env.TEST_API_LOG = logLevel;
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await worker?.stop();
    await t?.close();
    await smtp?.close();
  });

  it('answers the inputs that once made 500s or bare status lines with named 4xx problems', async () => {
    const token = await signedInToken();
    const auth = { Authorization: `Bearer ${token}`, 'X-Forwarded-For': me.client.ip, 'Content-Type': 'application/json' };
    const team = `/api/v1/teams/${ids.teamId}`;
    const expectProblem = async (answer: Promise<Answer>, status: number, code: string, problems = true) => {
      const { status: got, contentType, text } = await answer;
      expect({ got, contentType: contentType.split(';')[0] }).toEqual({ got: status, contentType: 'application/problem+json' });
      const body = JSON.parse(text) as { code: string; problems?: unknown[] };
      expect(body.code).toBe(code);
      if (problems) expect(body.problems?.length).toBeGreaterThan(0);
    };
    // The router's URIError for a path parameter that is not percent-encoding.
    await expectProblem(send('get', `${team}/workflows/%ZZ`, auth, undefined), 400, 'invalid_path', false);
    await expectProblem(send('get', '/api/v1/auth/oauth/%ED%A0%80', auth, undefined), 400, 'invalid_path', false);
    // body-parser's error for a body that says gzip and is not.
    await expectProblem(send('post', '/api/v1/teams', { ...auth, 'Content-Encoding': 'gzip' }, Buffer.from('{"name":"x"}')), 400, 'invalid_body', false);
    // NUL ends an SQLite statement: refused in the URL and in bodies before any query.
    await expectProblem(send('get', `${team}%00`, auth, undefined), 400, 'invalid_request');
    await expectProblem(send('post', '/api/v1/auth/login', auth, Buffer.from(JSON.stringify({ email: 'a\u0000b@example.test', password: 'x' }))), 400, 'invalid_request');
    await expectProblem(send('patch', team, auth, Buffer.from(JSON.stringify({ name: 'a\u0000b' }))), 400, 'invalid_request');
    // Nesting past MAX_JSON_DEPTH: refused before parsing, and as run input from a signed webhook (raw body).
    await expectProblem(send('post', `${team}/workflows/${ids.id}/runs`, auth, Buffer.from(`{"input":${'['.repeat(300)}${']'.repeat(300)}}`)), 400, 'json_too_deep');
    const deep = Buffer.from('['.repeat(100_000) + ']'.repeat(100_000));
    const ts = Math.floor(Date.now() / 1000);
    await expectProblem(send('post', `/hooks/${ids.webhookId}`, { 'Content-Type': 'application/json', 'X-Trellis-Signature': `t=${ts},v1=${sign(hookSecret, ts, deep)}`, 'X-Trellis-Delivery': randomUUID() }, deep), 400, 'input_too_deep');
    // What Node's HTTP parser refuses (as api/server.ts serves it): problem+json, not a bare status line.
    for (const [raw, status, code] of [
      [`GET /api/v1/me?${'q'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 431, 'headers_too_large'],
      ['GET /api/v1/me HTTP/1.1\r\nHost: x\r\nNot A Header\r\n\r\n', 400, 'malformed_request'],
      ['POST /api/v1/teams HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n', 400, 'malformed_request'],
    ] as const) {
      const answer = await rawExchange(raw);
      expect(answer).toMatch(new RegExp(`^HTTP/1.1 ${status} [^\r]*\r\nContent-Type: application/problem\\+json\r\n`));
      expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ status, code });
    }
    // Idempotency-Key out of bounds goes through the one error middleware too.
    await expectProblem(send('post', `${team}/workflows/${ids.id}/runs`, { ...auth, 'Idempotency-Key': 'k'.repeat(201) }, Buffer.from('{}')), 400, 'invalid_request');
  });

  it('answers every generated bad request to every documented route with a 4xx problem, never a 5xx or a hang', async () => {
    expect(routes.length).toBeGreaterThan(50);
    const r = prng(SEED);
    const started = Date.now();
    const byClass: Record<string, number> = {};
    const faults: string[] = [];
    let sent = 0;
    const timings: [string, number][] = [];
    for (const route of routes) {
      const token = await signedInToken();
      const probes = [...probesFor(route, 'user', r), ...probesFor(route, 'anonymous', r)];
      let next = 0;
      const lane = async () => {
        for (let probe = probes[next++]; probe; probe = probes[next++]) {
          const headers: Record<string, string> = { 'X-Forwarded-For': me.client.ip };
          if (probe.principal === 'user') headers.Authorization = `Bearer ${token}`;
          if (probe.body?.contentType) headers['Content-Type'] = probe.body.contentType;
          Object.assign(headers, probe.body?.headers, probe.headers);
          const answer = await send(route.method, probe.url, headers, probe.body?.body);
          sent++;
          const cls = answer.timedOut ? 'hang' : answer.status === 0 ? 'error' : `${Math.floor(answer.status / 100)}xx`;
          byClass[cls] = (byClass[cls] ?? 0) + 1;
          const wrong = fault(answer);
          if (wrong) faults.push(`${route.method.toUpperCase()} ${route.path} [${probe.principal}] ${probe.label} (${probe.url.slice(0, 120)}): ${wrong}`);
        }
      };
      const routeStarted = Date.now();
      // Signed webhook probes go one at a time: several bodies are the same bytes, and concurrent
      // twins of one signature whose first is refused meet a known race in webhook replay
      // detection (a 500, or a 202 naming a run never started) that is not this suite's to find.
      await Promise.all(Array.from({ length: route.path === '/hooks/{webhookId}' ? 1 : CONCURRENCY }, lane));
      timings.push([`${route.method.toUpperCase()} ${route.path} (${probes.length})`, Date.now() - routeStarted]);
    }
    timings.sort((a, b) => b[1] - a[1]);
    console.log(`slowest routes: ${timings.slice(0, 12).map(([name, ms]) => `${name} ${ms} ms`).join('; ')}`);
    // Faults grouped by their kind (status and code, or the failure), each with its first example.
    const groups = new Map<string, { count: number; example: string }>();
    for (const f of faults) {
      const kind = f.replace(/^\S+ \S+ \[\w+\] /, '').replace(/ \(.*?\): /, ': ').replace(/"requestId":"[^"]*"/, '').replace(/"detail":"[^"]*"/, '').slice(0, 200);
      const group = groups.get(kind) ?? { count: 0, example: f };
      group.count++;
      groups.set(kind, group);
    }
    writeFileSync(join(testEnv.dir, `fuzz-faults-${_name}-${SEED}.txt`), faults.join('\n'));
    const summary = [...groups.values()].map((g) => `${g.count} × ${g.example.slice(0, 400)}`);
    console.log(`api fuzzing on ${_name} (seed ${SEED}): ${sent} requests to ${routes.length} routes in ${Math.round((Date.now() - started) / 1000)} s; by status class ${JSON.stringify(byClass)}; ${faults.length} faults${faults.length ? `:\n${summary.join('\n')}` : ''}`);
    expect(faults).toEqual([]);
    expect(sent).toBeGreaterThan(3_000);
    expect(byClass['4xx']).toBeGreaterThan(sent / 2);
  }, 300_000);
});
