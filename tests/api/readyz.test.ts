// /readyz follows its dependencies: 503 naming Redis while Redis is down, 200 once it is back.
import { join } from 'node:path';
import request from 'supertest';
import { freePort, startRedis, type Service } from '../../infra/scripts/services.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { tempDir, testConfig } from '../support/env.ts';

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
    t = await createTestApp(testConfig({ REDIS_URL: `redis://127.0.0.1:${port}` }));
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
});
