// @lane unit
// A dependency that is down (the database, Temporal, Redis) answers 503 with Retry-After and a
// code saying so, never a 500: the request was fine and a retry may succeed. Everything else
// unexpected stays a logged 500.
import { ConnectionException } from '@mikro-orm/core';
import express from 'express';
import request from 'supertest';
import { OperationalError } from '../../core/errors.ts';
import { createLogger } from '../../core/log.ts';
import { errorHandler } from '../../api/middleware/errors.ts';
import { requestLog } from '../../api/middleware/request-log.ts';

function grpcError(code: number, details: string): Error {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: {} });
}

const THROWN: Record<string, () => unknown> = {
  database: () => new ConnectionException(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })),
  'database (pg driver)': () => Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
  temporal: () => grpcError(14, 'No connection established'),
  'temporal, wrapped': () => new Error('Failed to describe workflow', { cause: grpcError(4, 'Deadline exceeded') }),
  redis: () => new Error('Connection is closed.'),
  'run busy': () => new OperationalError('run_busy', 'The run is recovering from an interrupted step; try again in a few seconds', { status: 503 }),
  bug: () => new TypeError("Cannot read properties of undefined (reading 'x')"),
  'temporal, not transient': () => grpcError(3, 'invalid argument'),
};

const app = express();
app.use(requestLog(createLogger({ level: 'silent', service: 'test' })));
app.get('/throw/:kind', (req) => {
  throw THROWN[req.params.kind as string]?.();
});
app.use(errorHandler);

describe('the error middleware and unavailable dependencies', () => {
  it.each(['database', 'database (pg driver)', 'temporal', 'temporal, wrapped', 'redis'])('answers 503 dependency_unavailable with Retry-After when the %s is down', async (kind) => {
    const answer = await request(app).get(`/throw/${encodeURIComponent(kind)}`);
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('5');
    expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(answer.body).toMatchObject({ status: 503, code: 'dependency_unavailable' });
    // Connection details (addresses, driver messages) stay in the log.
    expect(answer.body.detail).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|administrator/);
  });

  it('answers a transient operational error with Retry-After too', async () => {
    const answer = await request(app).get('/throw/run%20busy');
    expect(answer.status).toBe(503);
    expect(answer.headers['retry-after']).toBe('5');
    expect(answer.body.code).toBe('run_busy');
  });

  it.each(['bug', 'temporal, not transient'])('keeps a %s a 500 without details', async (kind) => {
    const answer = await request(app).get(`/throw/${encodeURIComponent(kind)}`);
    expect(answer.status).toBe(500);
    expect(answer.headers['retry-after']).toBeUndefined();
    expect(answer.body).toMatchObject({ code: 'internal' });
  });
});
