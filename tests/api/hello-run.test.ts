// The foundation's vertical slice over HTTP: the api starts the built-in graph on the real
// Temporal dev server, a real worker runs it, and the run is mirrored into the database.
import request from 'supertest';
import { RunRecord } from '../../core/runs/entities.ts';
import { HELLO_GRAPH } from '../../core/runs/hello-graph.ts';
import { engineSettings, startRun } from '../../core/runs/start-run.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig, testEnv } from '../support/env.ts';
import { startTestWorker } from '../support/worker.ts';

describe('hello run through the api', () => {
  let t: TestApp;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;
  let config: ReturnType<typeof testConfig>;

  beforeAll(async () => {
    config = testConfig({ TEMPORAL_TASK_QUEUE: `hello-${Date.now()}`, TRELLIS_DIAGNOSTICS: 'true' });
    t = await createTestApp(config);
    worker = await startTestWorker({ address: testEnv.temporalAddress, orm: t.orm, taskQueue: config.temporal.taskQueue });
  });

  afterAll(async () => {
    await worker.stop();
    await t.close();
  });

  it('starts a run, which completes with the graph output and per-node states', async () => {
    const started = await request(t.app).post('/api/v1/diagnostics/hello-runs').send({ name: 'Ada' });
    expect(started.status).toBe(202);
    expect(started.body.runId).toMatch(/^run_[0-9a-f]{32}$/);
    const runId = started.body.runId as string;

    const result = await t.temporal.workflow.getHandle(runId).result();
    expect(result).toEqual({ status: 'succeeded', output: { greeting: 'Hello, Ada!', run: runId } });

    const state = await request(t.app).get(`/api/v1/diagnostics/hello-runs/${runId}`);
    expect(state.status).toBe(200);
    expect(state.body.temporalStatus).toBe('COMPLETED');
    expect(state.body.status).toBe('succeeded');
    expect(state.body.nodes.greet).toMatchObject({ status: 'succeeded', attempts: 1, output: 'Hello, Ada!' });
    expect(state.body.nodes.done.status).toBe('succeeded');

    const description = await t.temporal.workflow.getHandle(runId).describe();
    expect(description.searchAttributes).toMatchObject({ TeamId: ['system'], TrellisWorkflowId: ['hello'], TriggerType: ['system'], GraphVersion: [1] });

    const row = await t.orm.em.fork().findOneOrFail(RunRecord, { id: runId });
    expect(row.status).toBe('succeeded');
    expect(row.workflowId).toBe('hello');
    expect(row.endedAt).toBeInstanceOf(Date);
  });

  it('rejects a bad body with problem+json naming the field', async () => {
    const res = await request(t.app).post('/api/v1/diagnostics/hello-runs').send({ name: 42 });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 400, code: 'invalid_request', problems: [{ path: 'name' }] });
  });

  it('answers 404 problem+json for an unknown run and an unknown route', async () => {
    const run = await request(t.app).get('/api/v1/diagnostics/hello-runs/run_nope');
    expect(run.status).toBe(404);
    expect(run.body.code).toBe('not_found');
    const route = await request(t.app).get('/api/v1/nowhere');
    expect(route.status).toBe(404);
    expect(route.body.code).toBe('route_not_found');
  });

  it('serves the OpenAPI document and its docs page', async () => {
    const doc = await request(t.app).get('/api/v1/openapi.json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toEqual(expect.arrayContaining(['/healthz', '/readyz', '/api/v1/diagnostics/hello-runs']));
    expect(doc.body.paths['/api/v1/diagnostics/hello-runs'].post.operationId).toBe('startHelloRun');
    const page = await request(t.app).get('/api/docs');
    expect(page.status).toBe(200);
    expect(page.text).toContain('/api/docs/assets/swagger-ui-bundle.js');
  });

  it("never reads a team's run, whatever id the caller knows", async () => {
    const { runId } = await startRun(t.temporal, engineSettings(config), { graph: HELLO_GRAPH, version: 1, input: { name: 'secret' }, teamId: 'team_other', workflowId: 'wf_other', trigger: 'api' });
    await t.temporal.workflow.getHandle(runId).result();
    const res = await request(t.app).get(`/api/v1/diagnostics/hello-runs/${runId}`);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
    expect(JSON.stringify(res.body)).not.toContain('secret');
  });
});

describe('diagnostics without TRELLIS_DIAGNOSTICS', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp(testConfig());
  });

  afterAll(async () => {
    await t.close();
  });

  it('are not served and not documented', async () => {
    const res = await request(t.app).post('/api/v1/diagnostics/hello-runs').send({ name: 'Ada' });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('route_not_found');
    expect((await request(t.app).get('/api/v1/diagnostics/hello-runs/run_x')).body.code).toBe('route_not_found');
    const doc = await request(t.app).get('/api/v1/openapi.json');
    expect(Object.keys(doc.body.paths).filter((path) => path.includes('diagnostics'))).toEqual([]);
  });
});
