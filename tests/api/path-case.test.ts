// Paths match only as written. Express routes without regard to case by default, while the checks
// in front of the routes (sign-in and anonymous rate limits, CSRF, credentials) look at req.path
// with lower-case prefixes: `/API/v1/auth/login` used to reach the login handler with none of them.
// Every route of the OpenAPI document, in odd case, must be a 404 that reaches no handler — also
// through the web server's /api proxy.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { createApiProxy } from '../../web/proxy.server.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig } from '../support/env.ts';
import { randomIp, uniqueEmail } from '../support/identity.ts';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
const METHODS = new Set<string>(['get', 'post', 'put', 'patch', 'delete']);

/** A concrete URL for an OpenAPI path: every {param} gets a plausible value, kept as it is in every casing. */
function concrete(path: string): { literal: string[]; segments: string[] } {
  const segments = path.split('/').slice(1);
  return { literal: segments.map((s) => (s.startsWith('{') ? '' : s)), segments: segments.map((s) => (s.startsWith('{') ? `x_${s.slice(1, -1)}` : s)) };
}

/** The odd-case spellings of a path: all upper case, each literal segment capitalised, only the last literal one upper case. */
function oddCases(path: string): string[] {
  const { literal, segments } = concrete(path);
  const build = (change: (segment: string, i: number) => string) => `/${segments.map((s, i) => (literal[i] ? change(s, i) : s)).join('/')}`;
  const lastLiteral = literal.reduce((last, s, i) => (s ? i : last), -1);
  return [...new Set([
    build((s) => s.toUpperCase()),
    build((s) => s.charAt(0).toUpperCase() + s.slice(1)),
    build((s, i) => (i === lastLiteral ? s.toUpperCase() : s)),
  ])].filter((variant) => variant !== `/${segments.join('/')}`);
}

function send(app: express.Express | string, method: Method, url: string): request.Test {
  // A cross-site Origin: the CSRF check would refuse it on a route it covers.
  return request(app)[method](url).set('X-Forwarded-For', randomIp()).set('Origin', 'http://evil.example').set('Content-Type', 'application/json').send('{}');
}

describe('path case', () => {
  let t: TestApp;
  let routes: { path: string; method: Method }[];

  beforeAll(async () => {
    t = await createTestApp(testConfig({ TRELLIS_DIAGNOSTICS: 'true', RATE_LIMIT_AUTH_PER_IP: '5' }));
    const doc = await request(t.app).get('/api/v1/openapi.json');
    expect(doc.status).toBe(200);
    routes = Object.entries(doc.body.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).filter((m) => METHODS.has(m)).map((method) => ({ path, method: method as Method })),
    );
  });

  afterAll(async () => {
    await t.close();
  });

  it('walks a document that covers the api (auth, teams, runs, hooks, health, diagnostics)', () => {
    const paths = routes.map((r) => r.path);
    expect(routes.length).toBeGreaterThan(50);
    for (const expected of ['/api/v1/auth/login', '/api/v1/teams/{teamId}/runs/{runId}', '/hooks/{webhookId}', '/readyz', '/api/v1/diagnostics/hello-runs']) {
      expect(paths).toContain(expected);
    }
  });

  it('reaches a handler for every documented route as written, and none in odd case', async () => {
    const reached: string[] = [];
    const leaked: string[] = [];
    for (const { path, method } of routes) {
      const url = `/${concrete(path).segments.join('/')}`;
      // SSE would stay open once authorised; unauthenticated it answers 401 at once.
      const res = await send(t.app, method, url);
      if (res.body?.code !== 'route_not_found') reached.push(`${method} ${url}`);
      for (const variant of oddCases(path)) {
        const odd = await send(t.app, method, variant);
        // Under /api/ the checks still run and may refuse first (a mixed-case /api/v1/AUTH/… path
        // meets the anonymous limit, CSRF and a prefix guard like requireUser); elsewhere they are
        // skipped, so it must be the 404.
        const refusals = variant.startsWith('/api/') ? ['route_not_found', 'csrf_origin_mismatch', 'rate_limited_ip', 'unauthenticated'] : ['route_not_found'];
        const ok = /^application\/problem\+json/.test(odd.headers['content-type'] ?? '') && refusals.includes(odd.body.code) && (odd.body.code !== 'route_not_found' || odd.status === 404);
        if (!ok) leaked.push(`${method} ${variant} → ${odd.status} ${odd.body?.code ?? ''}`);
      }
    }
    expect(leaked).toEqual([]);
    expect(reached).toHaveLength(routes.length);
  });

  it('25 wrong passwords in any casing never answer 401 past the sign-in limit', async () => {
    const body = { email: uniqueEmail('victim'), password: 'not-the-password-1' };
    // RATE_LIMIT_AUTH_PER_IP=5 for this suite (a per-account throttle may answer 429 even sooner).
    for (const url of ['/api/v1/auth/login', '/API/v1/auth/login', '/Api/V1/Auth/Login', '/api/v1/AUTH/login', '/api/v1/auth/LOGIN']) {
      const ip = randomIp();
      const statuses: number[] = [];
      for (let i = 0; i < 25; i++) statuses.push((await request(t.app).post(url).set('X-Forwarded-For', ip).send(body)).status);
      const wrongPasswords = statuses.filter((s) => s === 401).length;
      expect({ url, refusedOrUnrouted: statuses.every((s) => [401, 404, 429].includes(s)) }).toEqual({ url, refusedOrUnrouted: true });
      if (url === '/api/v1/auth/login') {
        // The limits (per address, per account) stop the guessing well before 25.
        expect(wrongPasswords).toBeGreaterThan(0);
        expect(wrongPasswords).toBeLessThan(10);
        expect(statuses.at(-1)).toBe(429);
      } else {
        expect({ url, wrongPasswords }).toEqual({ url, wrongPasswords: 0 });
      }
    }
  });

  it('the web server proxy passes odd-case paths on unchanged, so they meet the same 404', async () => {
    const api = t.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => api.once('listening', resolve));
    const web = express();
    web.use(['/api', '/hooks'], createApiProxy({ target: `http://127.0.0.1:${(api.address() as AddressInfo).port}` }));
    const server = http.createServer(web).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      for (const url of ['/API/v1/auth/login', '/Api/V1/Auth/Register', '/HOOKS/wh_x']) {
        const res = await send(base, 'post', url);
        expect({ url, status: res.status, code: res.body.code }).toEqual({ url, status: 404, code: 'route_not_found' });
      }
    } finally {
      server.closeAllConnections();
      api.closeAllConnections();
      await Promise.all([new Promise((r) => server.close(r)), new Promise((r) => api.close(r))]);
    }
  });
});
