// Browser pages on other origins (docs/decisions/039-opaque-tokens-and-cors.md): no CORS header
// unless CORS_ORIGINS lists the origin; its preflights are answered, its answers readable, and it
// authenticates with an API key only: a session cookie sent along is not read, a session token
// is refused, so a page elsewhere can never act with a user's session.
import request from 'supertest';
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig } from '../support/env.ts';
import { randomIp, signUp, type SignedUp } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';

const APP = 'http://app.trellis.test';
const TOOLS = 'https://tools.example';
const EVIL = 'https://evil.example';

function preflight(app: TestApp['app'], path: string, origin: string, method = 'POST') {
  return request(app).options(path).set('X-Forwarded-For', randomIp()).set('Origin', origin)
    .set('Access-Control-Request-Method', method).set('Access-Control-Request-Headers', 'authorization, content-type, idempotency-key');
}

const corsHeaders = (headers: Record<string, unknown>) => Object.keys(headers).filter((name) => name.startsWith('access-control-'));

describe('CORS_ORIGINS unset (the default)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp(testConfig({ PUBLIC_URL: APP }), { mail: false });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('sends no CORS header, on preflights or answers', async () => {
    const pre = await preflight(t.app, '/api/v1/me', TOOLS);
    expect(corsHeaders(pre.headers)).toEqual([]);
    const answer = await request(t.app).get('/api/v1/auth/providers').set('Origin', TOOLS);
    expect(answer.status).toBe(200);
    expect(corsHeaders(answer.headers)).toEqual([]);
    expect(answer.headers.vary ?? '').not.toMatch(/origin/i);
  });
});

describe(`CORS_ORIGINS=${TOOLS}`, () => {
  let smtp: TestSmtp;
  let t: TestApp;
  let owner: SignedUp;
  let key: string;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    t = await createTestApp(testConfig({ PUBLIC_URL: APP, SMTP_URL: smtp.url, CORS_ORIGINS: `${TOOLS}, ${TOOLS}/` }));
    owner = await signUp(t.app, smtp);
    const created = await owner.client.post(`/api/v1/teams/${owner.personalTeamId}/api-keys`, { name: 'tools page', scopes: ['workflows:read', 'workflows:write'] });
    expect(created.status).toBe(201);
    key = created.body.key as string;
  });
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  const from = (origin: string | undefined, method: 'get' | 'post', path: string) => {
    const test = request(t.app)[method](path).set('X-Forwarded-For', randomIp());
    return origin ? test.set('Origin', origin) : test;
  };

  it('answers a preflight from a listed origin with what it may send, and for how long', async () => {
    const pre = await preflight(t.app, `/api/v1/teams/${owner.personalTeamId}/workflows`, TOOLS);
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe(TOOLS);
    expect(pre.headers['access-control-allow-methods']).toMatch(/\bPOST\b/);
    for (const header of ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Trellis-Priority']) {
      expect(pre.headers['access-control-allow-headers']).toContain(header);
    }
    expect(Number(pre.headers['access-control-max-age'])).toBeGreaterThan(0);
    expect(pre.headers['access-control-allow-credentials']).toBeUndefined();
    expect(pre.headers.vary).toMatch(/origin/i);
    // The MCP endpoint is an API for browser clients too.
    expect((await preflight(t.app, '/mcp', TOOLS)).headers['access-control-allow-origin']).toBe(TOOLS);
  });

  it('refuses a preflight from any other origin, saying why', async () => {
    const pre = await preflight(t.app, '/api/v1/me', EVIL);
    expect(pre.status).toBe(403);
    expect(pre.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(pre.body.code).toBe('cors_origin_not_allowed');
    expect(pre.body.detail).toContain(EVIL);
    expect(corsHeaders(pre.headers)).toEqual([]);
  });

  it('lets a listed origin read and write with an API key', async () => {
    const list = await from(TOOLS, 'get', `/api/v1/teams/${owner.personalTeamId}/workflows`).set('Authorization', `Bearer ${key}`);
    expect(list.status).toBe(200);
    expect(list.headers['access-control-allow-origin']).toBe(TOOLS);
    expect(list.headers['access-control-expose-headers']).toContain('Retry-After');
    expect(list.headers['access-control-allow-credentials']).toBeUndefined();
    const created = await from(TOOLS, 'post', `/api/v1/teams/${owner.personalTeamId}/workflows`).set('Authorization', `Bearer ${key}`)
      .send({ name: 'made elsewhere', graph: { nodes: [{ id: 'o', type: 'output', config: { value: '{{ input }}' } }] } });
    expect(created.status).toBe(201);
    expect(created.headers['access-control-allow-origin']).toBe(TOOLS);
  });

  it('does not read the session cookie of a cross-origin request', async () => {
    const cookie = `trellis_session=${owner.token}`;
    // The cookie itself is good: without Origin, and from the web app, it signs the user in.
    expect((await from(undefined, 'get', '/api/v1/me').set('Cookie', cookie)).status).toBe(200);
    expect((await from(APP, 'get', '/api/v1/me').set('Cookie', cookie)).status).toBe(200);
    for (const origin of [TOOLS, EVIL]) {
      const me = await from(origin, 'get', '/api/v1/me').set('Cookie', cookie);
      expect(me.status).toBe(401);
      expect(me.headers['set-cookie']).toBeUndefined(); // not even cleared: it was never looked at
    }
    // Readable by the listed origin's page: it learns it needs a key, not the user's data.
    expect((await from(TOOLS, 'get', '/api/v1/me').set('Cookie', cookie)).headers['access-control-allow-origin']).toBe(TOOLS);
    const before = (await owner.client.get('/api/v1/me')).body.teams.length as number;
    const write = await from(TOOLS, 'post', '/api/v1/teams').set('Cookie', cookie).send({ name: 'Not mine' });
    expect(write.status).toBe(403);
    expect(write.body.code).toBe('csrf_origin_mismatch');
    expect((await owner.client.get('/api/v1/me')).body.teams).toHaveLength(before);
  });

  it('refuses a session token from another origin', async () => {
    for (const origin of [TOOLS, EVIL]) {
      const me = await from(origin, 'get', '/api/v1/me').set('Authorization', `Bearer ${owner.token}`);
      expect(me.status).toBe(403);
      expect(me.body.code).toBe('cross_origin_session');
      expect(me.body.detail).toContain(origin);
    }
    expect((await from(APP, 'get', '/api/v1/me').set('Authorization', `Bearer ${owner.token}`)).status).toBe(200);
  });

  it('gives an origin not listed no Access-Control-Allow-Origin, even with a valid key', async () => {
    const list = await from(EVIL, 'get', `/api/v1/teams/${owner.personalTeamId}/workflows`).set('Authorization', `Bearer ${key}`);
    expect(list.status).toBe(200); // a key works from anywhere; the browser just keeps the answer from the page
    expect(corsHeaders(list.headers)).toEqual([]);
    expect(list.headers.vary).toMatch(/origin/i);
  });
});
