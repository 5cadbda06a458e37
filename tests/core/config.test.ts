// @lane unit
import { ConfigError, loadConfig } from '../../core/config.ts';
import { loadWebConfig } from '../../web/app/config.server.ts';

describe('loadConfig', () => {
  it('gives the documented defaults for an empty environment', () => {
    const config = loadConfig({});
    expect(config.web.port).toBe(3000);
    expect(config.api.port).toBe(3001);
    expect(config.database.url).toBe('sqlite:./.data/trellis.sqlite');
    expect(config.redis.url).toBe('redis://127.0.0.1:6379');
    expect(config.temporal).toEqual({ address: '127.0.0.1:7233', namespace: 'default', taskQueue: 'trellis', uiUrl: 'http://127.0.0.1:8233' });
    expect(config.web.publicUrl).toBe('http://localhost:3000');
    expect(config.web.apiUrl).toBe('http://127.0.0.1:3001');
  });

  it('reads every variable it is given', () => {
    const config = loadConfig({
      API_PORT: '4001',
      DATABASE_URL: 'postgres://u:p@db:5432/trellis',
      TRELLIS_HTTP_ALLOWLIST: '127.0.0.1, 10.0.0.0/8 ,',
      TEMPORAL_TASK_QUEUE: 'q',
    });
    expect(config.api.port).toBe(4001);
    expect(config.web.apiUrl).toBe('http://127.0.0.1:4001');
    expect(config.database.url).toBe('postgres://u:p@db:5432/trellis');
    expect(config.http.allowlist).toEqual(['127.0.0.1', '10.0.0.0/8']);
    expect(config.temporal.taskQueue).toBe('q');
  });

  it('rejects bad variables, naming every one of them with what is wrong', () => {
    let error: unknown;
    try {
      loadConfig({ API_PORT: 'eighty', DATABASE_URL: 'mysql://x', REDIS_URL: 'http://redis', TEMPORAL_ADDRESS: 'nohost', TRELLIS_SECRET_KEY: 'c2hvcnQ=' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.map((p) => p.variable).sort();
    expect(problems).toEqual(['API_PORT', 'DATABASE_URL', 'REDIS_URL', 'TEMPORAL_ADDRESS', 'TRELLIS_SECRET_KEY']);
    const message = (error as ConfigError).message;
    expect(message).toContain('DATABASE_URL: must be sqlite:<path> or postgres://');
    expect(message).toContain('TRELLIS_SECRET_KEY: must be 32 bytes encoded as base64');
    expect(message).toContain('TEMPORAL_ADDRESS: must be host:port');
  });

  it('requires the vault key in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/TRELLIS_SECRET_KEY: is required in production/);
    const key = Buffer.alloc(32, 7).toString('base64');
    expect(loadConfig({ NODE_ENV: 'production', TRELLIS_SECRET_KEY: key }).secretKey).toBe(key);
  });

  it('keeps the diagnostics endpoints off unless asked for, and refuses them in production', () => {
    expect(loadConfig({}).diagnostics).toBe(false);
    expect(loadConfig({ NODE_ENV: 'test' }).diagnostics).toBe(false);
    expect(loadConfig({ TRELLIS_DIAGNOSTICS: 'true' }).diagnostics).toBe(true);
    const key = Buffer.alloc(32, 1).toString('base64');
    expect(() => loadConfig({ NODE_ENV: 'production', TRELLIS_SECRET_KEY: key, TRELLIS_DIAGNOSTICS: 'true' })).toThrow(/TRELLIS_DIAGNOSTICS: must not be set in production/);
    expect(loadConfig({ NODE_ENV: 'production', TRELLIS_SECRET_KEY: key, TRELLIS_DIAGNOSTICS: 'false' }).diagnostics).toBe(false);
  });

  it('serves metrics to loopback by default: the worker binds 127.0.0.1, the api has no token', () => {
    expect(loadConfig({}).worker).toEqual({ metricsPort: 9464, metricsHost: '127.0.0.1' });
    expect(loadConfig({}).metrics.token).toBeUndefined();
    expect(loadConfig({ WORKER_METRICS_HOST: '0.0.0.0', METRICS_TOKEN: 'a-long-scrape-token' })).toMatchObject({ worker: { metricsHost: '0.0.0.0' }, metrics: { token: 'a-long-scrape-token' } });
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN: must be at least 16 characters/);
  });

  it('reads TRUST_PROXY as Express takes it: names and subnets, a hop count, or true/false', () => {
    expect(loadConfig({}).trustProxy).toBe('loopback');
    expect(loadConfig({ TRUST_PROXY: 'loopback,uniquelocal' }).trustProxy).toBe('loopback,uniquelocal');
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
    expect(loadWebConfig({ TRUST_PROXY: '10.0.0.0/8' }).trustProxy).toBe('10.0.0.0/8');
    expect(loadWebConfig({}).trustProxy).toBe('loopback');
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ API_PORT: '' }).api.port).toBe(3001);
  });

  it('reads CORS_ORIGINS as exact origins (none by default), refusing wildcards, paths and first-party origins', () => {
    expect(loadConfig({}).auth.corsOrigins).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example, http://b.example:8080/ ,https://a.example' }).auth.corsOrigins)
      .toEqual(['https://a.example', 'http://b.example:8080']);
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
      } catch (error) {
        return (error as ConfigError).problems;
      }
      return [];
    };
    for (const bad of ['*', 'https://a.example/app', 'a.example', 'ftp://a.example', 'https://*.example']) {
      expect(problems({ CORS_ORIGINS: bad })).toEqual([{ variable: 'CORS_ORIGINS', message: expect.stringContaining('not an origin') }]);
    }
    // A first-party origin's session cookie works; a CORS origin's never does: one of the two.
    expect(problems({ PUBLIC_URL: 'https://app.example', CORS_ORIGINS: 'https://app.example' })).toEqual([{ variable: 'CORS_ORIGINS', message: expect.stringContaining('https://app.example') }]);
    expect(problems({ TRELLIS_ALLOWED_ORIGINS: 'https://b.example', CORS_ORIGINS: 'https://b.example' })).toHaveLength(1);
  });
});
