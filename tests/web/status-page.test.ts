// @lane unit
// The public /status page of a production site shows whether the API and its dependencies are up,
// not why one is down (error texts name hosts and ports) nor where the Temporal UI lives.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

describe('/status in production', () => {
  let api: http.Server;

  beforeAll(async () => {
    // The API as the web server sees it from loopback: with the dependency's error text.
    api = http.createServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'unavailable', checks: { database: { ok: true, latencyMs: 1 }, redis: { ok: false, latencyMs: 2, error: 'connect ECONNREFUSED 10.1.2.3:6379' }, temporal: { ok: true, latencyMs: 3 } } }));
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    // The web modules read their configuration on first use.
    process.env.API_URL = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    process.env.NODE_ENV = 'production';
  });

  afterAll(async () => {
    process.env.NODE_ENV = 'test';
    await new Promise((resolve) => api.close(resolve));
  });

  it('keeps the statuses and drops error texts and the Temporal UI link', async () => {
    const { loader } = await import('../../web/app/routes/status.tsx');
    const data = await loader();
    expect(data.readiness).toMatchObject({ reachable: true, status: 'unavailable', checks: { redis: { ok: false }, database: { ok: true } } });
    expect(JSON.stringify(data)).not.toContain('10.1.2.3');
    expect(data.links.temporalUi).toBeUndefined();
    expect(data.apiUrl).toBeUndefined();
  });
});
