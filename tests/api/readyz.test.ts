// /readyz follows its dependencies: 503 naming Redis while Redis is down, 200 once it is back.
// The dependency error text (hosts, ports) and /metrics are for operators only: loopback callers
// or the bearer of METRICS_TOKEN.
import { join } from 'node:path';
import request from 'supertest';
import { freePort, startRedis, type Service } from '../../infra/scripts/services.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { tempDir, testConfig } from '../support/env.ts';

const METRICS_TOKEN = 'scrape-token-0123456789';
/** A caller elsewhere: the test app trusts X-Forwarded-For from loopback, as in production behind a proxy. */
const REMOTE = '203.0.113.9';

describe('GET /readyz', () => {
  let redis: Service;
  let port: number;
  let dir: string;
  let t: TestApp;

  beforeAll(async () => {
    // A Redis of this test's own, so stopping it disturbs no other suite.
    port = await freePort();
    dir = tempDir('redis');
    redis = await startRedis({ port, dir, logFile: join(dir, 'redis.log') });
    t = await createTestApp(testConfig({ REDIS_URL: `redis://127.0.0.1:${port}`, METRICS_TOKEN }));
  });

  afterAll(async () => {
    await t.close();
    await redis.stop();
  });

  it('answers 200 with every check up', async () => {
    const res = await request(t.app).get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.checks.database.ok).toBe(true);
    expect(res.body.checks.redis.ok).toBe(true);
    expect(res.body.checks.temporal.ok).toBe(true);
  });

  it('answers 503 naming Redis while it is stopped, and 200 again once it is back', async () => {
    await redis.stop();
    const down = await request(t.app).get('/readyz');
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('unavailable');
    expect(down.body.checks.redis.ok).toBe(false);
    expect(down.body.checks.redis.error).toEqual(expect.any(String));
    expect(down.body.checks.database.ok).toBe(true);
    expect(down.body.checks.temporal.ok).toBe(true);
    // Someone else sees which dependency is down, not where it lives or why.
    const remote = await request(t.app).get('/readyz').set('X-Forwarded-For', REMOTE);
    expect(remote.status).toBe(503);
    expect(remote.body.checks.redis).toEqual({ ok: false, latencyMs: expect.any(Number) });
    expect(JSON.stringify(remote.body)).not.toContain(String(port));
    const scraper = await request(t.app).get('/readyz').set('X-Forwarded-For', REMOTE).set('Authorization', `Bearer ${METRICS_TOKEN}`);
    expect(scraper.body.checks.redis.error).toEqual(expect.any(String));

    redis = await startRedis({ port, dir, logFile: join(dir, 'redis.log') });
    // The client reconnects on its own (at most every 2 s); poll rather than sleep.
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await request(t.app).get('/readyz')).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(200);
  });

  it('/healthz answers while a dependency is down', async () => {
    const res = await request(t.app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('/metrics answers loopback and the METRICS_TOKEN bearer, and refuses anyone else', async () => {
    const local = await request(t.app).get('/metrics');
    expect(local.status).toBe(200);
    expect(local.text).toContain('# HELP');
    const remote = await request(t.app).get('/metrics').set('X-Forwarded-For', REMOTE);
    expect(remote.status).toBe(403);
    expect(remote.body.code).toBe('metrics_forbidden');
    expect(remote.text).not.toContain('# HELP');
    const wrong = await request(t.app).get('/metrics').set('X-Forwarded-For', REMOTE).set('Authorization', 'Bearer scrape-token-0123456780');
    expect(wrong.status).toBe(403);
    const scraper = await request(t.app).get('/metrics').set('X-Forwarded-For', REMOTE).set('Authorization', `Bearer ${METRICS_TOKEN}`);
    expect(scraper.status).toBe(200);
    expect(scraper.text).toContain('# HELP');
  });

  it('answers with headers that forbid sniffing, framing and any active content', async () => {
    for (const path of ['/healthz', '/api/v1/nowhere', '/api/v1/openapi.json']) {
      const res = await request(t.app).get(path);
      expect(res.headers).toMatchObject({
        'content-security-policy': expect.stringContaining("default-src 'none'"),
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
      });
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      expect(res.headers['strict-transport-security']).toBeUndefined();
    }
    // Over TLS (as a trusted proxy says): HSTS too.
    const tls = await request(t.app).get('/healthz').set('X-Forwarded-Proto', 'https');
    expect(tls.headers['strict-transport-security']).toBe('max-age=31536000');
    const docs = await request(t.app).get('/api/docs');
    expect(docs.headers['content-security-policy']).toMatch(/^default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'/);
  });
});
