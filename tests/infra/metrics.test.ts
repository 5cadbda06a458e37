// Prometheus metrics on the real test stack: runs executed by a real worker move the run and node
// series on the worker's /metrics (served with the Temporal SDK's own), and the api's /metrics
// counts webhook deliveries, rate-limited requests and the queue.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import request from 'supertest';
import { createMetrics } from '../../api/metrics.ts';
import { RunRecord } from '../../core/runs/entities.ts';
import { createOrm, migrate, type Orm } from '../../core/db/orm.ts';
import { createLogger } from '../../core/log.ts';
import { startRun } from '../../core/runs/start-run.ts';
import { createTemporalClient } from '../../core/temporal.ts';
import { Graph } from '../../workflows/graph/schema.ts';
import { sign } from '../../core/webhooks/service.ts';
import { createWorkerMetrics, serveWorkerMetrics } from '../../worker/metrics.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { freshPostgresUrl, tempDir, testConfig, testEnv } from '../support/env.ts';
import { randomIp, signUp } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { startTestWorker } from '../support/worker.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.ts';
import { createRunMetrics } from '../../core/metrics/run-metrics.ts';
import { Registry } from 'prom-client';

/** The value of one series in Prometheus text, 0 when absent. */
function sample(text: string, series: string): number {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  }
  return 0;
}

async function until<T>(read: () => Promise<T>, check: (value: T) => boolean, what: string): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 300; i++) {
    last = await read();
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} not reached; last:\n${String(last)}`);
}

describe('worker metrics', () => {
  let orm: Orm;
  let client: Client;
  let worker: Awaited<ReturnType<typeof startTestWorker>>;
  let endpoint: Awaited<ReturnType<typeof serveWorkerMetrics>>;
  let sdk: Server;
  let openai: FakeOpenAI;
  const metrics = createWorkerMetrics({ processMetrics: false });
  const scrape = async () => (await fetch(`http://127.0.0.1:${endpoint.port}/metrics`)).text();

  beforeAll(async () => {
    orm = await createOrm(`sqlite:${join(tempDir('db'), 'app.sqlite')}`);
    await migrate(orm);
    client = await createTemporalClient({ address: testEnv.temporalAddress, namespace: 'default' });
    openai = await startFakeOpenAI();
    worker = await startTestWorker({ address: testEnv.temporalAddress, orm, metrics: metrics.run, openaiBaseUrl: openai.url });
    // Stands in for the SDK's native exporter, whose text the endpoint appends to its own.
    sdk = createServer((_req, res) => res.end('# TYPE temporal_worker_task_slots_available gauge\ntemporal_worker_task_slots_available{worker_type="WorkflowWorker"} 7\n'));
    await new Promise<void>((resolve) => sdk.listen(0, '127.0.0.1', resolve));
    const upstream = `http://127.0.0.1:${(sdk.address() as AddressInfo).port}/metrics`;
    endpoint = await serveWorkerMetrics({ host: '127.0.0.1', port: 0, registry: metrics.registry, upstream, logger: createLogger({ level: 'silent', service: 'metrics-test' }) });
  });

  afterAll(async () => {
    await endpoint.close();
    await new Promise((resolve) => sdk.close(resolve));
    await worker.stop();
    await openai.close();
    await client.connection.close();
    await orm.close();
  });

  const run = (graph: unknown, extra: Record<string, unknown> = {}) =>
    startRun(client, { taskQueue: worker.taskQueue, blobThresholdBytes: 65_536, maxConcurrency: 10 }, { graph: Graph.parse(graph), version: 1, input: {}, teamId: 'team_m', workflowId: 'wf_m', trigger: 'webhook', ...extra });

  it('counts started and finished runs, node executions by type and status, and their durations, beside the SDK metrics', async () => {
    const ok = await run({
      nodes: [{ id: 'a', type: 'transform', config: { expression: '1 + 1' } }, { id: 'o', type: 'output', config: { value: '{{ steps.a.output }}' } }],
      edges: [{ from: 'a', to: 'o' }],
    });
    const failing = await run({ nodes: [{ id: 'bad', type: 'transform', config: { expression: '$error("boom")' } }], edges: [] });
    await client.workflow.getHandle(ok.runId).result();
    await client.workflow.getHandle(failing.runId).result().catch(() => undefined);

    const text = await until(scrape, (t) => sample(t, 'trellis_runs_finished_total{status="failed"}') === 1 && sample(t, 'trellis_runs_finished_total{status="succeeded"}') === 1, 'both runs counted');
    expect(sample(text, 'trellis_runs_started_total{trigger="webhook"}')).toBe(2);
    expect(sample(text, 'trellis_run_duration_seconds_count{status="succeeded"}')).toBe(1);
    expect(sample(text, 'trellis_node_executions_total{type="transform",status="succeeded"}')).toBe(1);
    expect(sample(text, 'trellis_node_executions_total{type="transform",status="failed"}')).toBe(1);
    expect(sample(text, 'trellis_node_executions_total{type="output",status="succeeded"}')).toBe(1);
    expect(sample(text, 'trellis_node_duration_seconds_count{type="transform"}')).toBe(2);
    // The run id never becomes a label.
    expect(text).not.toContain(ok.runId);
    expect(sample(text, 'temporal_worker_task_slots_available{worker_type="WorkflowWorker"}')).toBe(7);
  });

  it('does not count the nodes a rerun reuses, only those it executes', async () => {
    const before = await scrape();
    const past = new Date(Date.now() - 60_000).toISOString();
    const { runId } = await run(
      {
        nodes: [{ id: 'a', type: 'transform', config: { expression: '1' } }, { id: 'b', type: 'transform', config: { expression: 'steps.a.output + 1' } }],
        edges: [{ from: 'a', to: 'b' }],
      },
      { trigger: 'rerun', seed: { a: { status: 'succeeded', attempts: 1, startedAt: past, endedAt: past, output: 1, ports: ['out'] } } },
    );
    await client.workflow.getHandle(runId).result();
    const key = 'trellis_node_executions_total{type="transform",status="succeeded"}';
    const text = await until(scrape, (t) => sample(t, 'trellis_runs_started_total{trigger="rerun"}') === 1 && sample(t, 'trellis_runs_finished_total{status="succeeded"}') > sample(before, 'trellis_runs_finished_total{status="succeeded"}'), 'the rerun counted');
    expect(sample(text, key) - sample(before, key)).toBe(1);
  });

  it('counts the AI tokens a node used, by kind, and their cost', async () => {
    const before = await scrape();
    openai.script.push({ content: 'fine', usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 } });
    const { runId } = await run({ nodes: [{ id: 'ask', type: 'ai', config: { model: 'gpt-4o-mini', prompt: 'how are you?' } }], edges: [] });
    await client.workflow.getHandle(runId).result();
    const delta = (text: string, series: string) => sample(text, series) - sample(before, series);
    const text = await until(scrape, (t) => delta(t, 'trellis_node_executions_total{type="ai",status="succeeded"}') === 1, 'the ai node counted');
    expect(delta(text, 'trellis_ai_tokens_total{kind="prompt"}')).toBe(11);
    expect(delta(text, 'trellis_ai_tokens_total{kind="completion"}')).toBe(7);
    expect(delta(text, 'trellis_ai_cost_usd_total')).toBeGreaterThan(0);
  });

  it('labels run series with the team when TRELLIS_METRICS_TEAM_LABEL asks for it', async () => {
    const labelled = createWorkerMetrics({ teamLabel: true, processMetrics: false });
    const teamWorker = await startTestWorker({ address: testEnv.temporalAddress, orm, metrics: labelled.run });
    try {
      const { runId } = await startRun(
        client,
        { taskQueue: teamWorker.taskQueue, blobThresholdBytes: 65_536, maxConcurrency: 10 },
        { graph: Graph.parse({ nodes: [{ id: 'o', type: 'output', config: { value: 1 } }], edges: [] }), version: 1, input: {}, teamId: 'team_labelled', workflowId: 'wf_m', trigger: 'api' },
      );
      await client.workflow.getHandle(runId).result();
      const text = await until(() => labelled.registry.metrics(), (t) => sample(t, 'trellis_runs_finished_total{status="succeeded",team="team_labelled"}') === 1, 'the run counted with its team');
      expect(sample(text, 'trellis_runs_started_total{trigger="api",team="team_labelled"}')).toBe(1);
    } finally {
      await teamWorker.stop();
    }
  });

  it('answers only GET /metrics', async () => {
    const res = await fetch(`http://127.0.0.1:${endpoint.port}/`);
    expect(res.status).toBe(404);
  });
});

describe('api metrics', () => {
  let smtp: TestSmtp;
  let t: TestApp;
  const scrape = async () => {
    const res = await request(t.app).get('/metrics');
    expect(res.status).toBe(200);
    return res.text;
  };

  beforeAll(async () => {
    smtp = await startTestSmtp();
    t = await createTestApp(testConfig({ SMTP_URL: smtp.url, TRELLIS_SECRET_KEY: randomBytes(32).toString('base64'), RATE_LIMIT_WEBHOOK_PER_MINUTE: '2' }));
  });

  afterAll(async () => {
    await t.close();
    await smtp.close();
  });

  it('counts webhook deliveries by outcome and rate-limited requests by the limit that refused them', async () => {
    const me = await signUp(t.app, smtp);
    const team = me.personalTeamId;
    const wf = await me.client.post(`/api/v1/teams/${team}/workflows`, { name: 'echo', graph: { nodes: [{ id: 'o', type: 'output', config: { value: '{{ input }}' } }] } });
    expect(wf.status).toBe(201);
    const hook = await me.client.post(`/api/v1/teams/${team}/workflows/${wf.body.id}/webhooks`);
    expect(hook.status).toBe(201);
    const body = '{"n":1}';
    const ts = Math.floor(Date.now() / 1000);
    const post = (id: string, ip: string) =>
      request(t.app).post(`/hooks/${id}`).set('Content-Type', 'application/json').set('X-Forwarded-For', ip).set('X-Trellis-Signature', `t=${ts},v1=${sign(hook.body.secret as string, ts, body)}`).send(body);

    const before = await scrape();
    const count = (text: string, series: string) => sample(text, series) - sample(before, series);
    expect((await post(hook.body.id as string, randomIp())).status).toBe(202);
    expect((await post(hook.body.id as string, randomIp())).body.duplicate).toBe(true);
    // Requests for an unknown webhook are charged to the caller's network: the third is refused with 429.
    const ip = randomIp();
    expect((await post('wh_unknown', ip)).status).toBe(404);
    expect((await post('wh_unknown', ip)).status).toBe(404);
    const limited = await post('wh_unknown', ip);
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe('rate_limited_webhook_refused');

    const text = await scrape();
    expect(count(text, 'trellis_webhook_deliveries_total{outcome="accepted"}')).toBe(1);
    expect(count(text, 'trellis_webhook_deliveries_total{outcome="duplicate"}')).toBe(1);
    expect(count(text, 'trellis_webhook_deliveries_total{outcome="refused"}')).toBe(2);
    expect(count(text, 'trellis_webhook_deliveries_total{outcome="rate_limited"}')).toBe(1);
    expect(count(text, 'trellis_rate_limited_total{rule="rate_limited_webhook_refused"}')).toBe(1);
    // Neither webhook ids nor team ids become labels.
    expect(text).not.toContain(hook.body.id as string);
    expect(text).not.toContain(team);
  });

  it('is refused to a caller that is not on loopback and has no token', async () => {
    const res = await request(t.app).get('/metrics').set('X-Forwarded-For', randomIp());
    expect(res.status).toBe(403);
  });
});

describe.each([
  ['SQLite', async () => `sqlite:${join(tempDir('db'), 'queue.sqlite')}`],
  ['PostgreSQL', freshPostgresUrl],
])('queue gauges on %s', (_name, databaseUrl) => {
  it('show queued runs per priority and the age of the oldest, and zeros once the queue is empty', async () => {
    const orm = await createOrm(await databaseUrl());
    await migrate(orm);
    try {
      const metrics = createMetrics({ orm, processMetrics: false });
      const empty = await metrics.registry.metrics();
      expect(sample(empty, 'trellis_runs_queued{priority="1"}')).toBe(0);
      expect(empty).toContain('trellis_queue_oldest_seconds 0');

      const em = orm.em.fork();
      const row = (id: string, priority: number, agoSeconds: number, status = 'queued') =>
        em.create(RunRecord, { id, teamId: 'team_q', workflowId: 'wf_q', version: 1, trigger: 'api', status, priority, startedAt: new Date(Date.now() - agoSeconds * 1000) });
      row('run_q1', 1, 120);
      row('run_q2', 1, 10);
      row('run_q3', 4, 30);
      row('run_r1', 1, 600, 'running');
      await em.flush();

      const text = await metrics.registry.metrics();
      expect(sample(text, 'trellis_runs_queued{priority="1"}')).toBe(2);
      expect(sample(text, 'trellis_runs_queued{priority="4"}')).toBe(1);
      expect(sample(text, 'trellis_runs_queued{priority="3"}')).toBe(0);
      const oldest = sample(text, 'trellis_queue_oldest_seconds');
      expect(oldest).toBeGreaterThanOrEqual(120);
      expect(oldest).toBeLessThan(600);

      await em.nativeUpdate(RunRecord, { status: 'queued' }, { status: 'running' });
      const after = await metrics.registry.metrics();
      expect(sample(after, 'trellis_runs_queued{priority="1"}')).toBe(0);
      expect(after).toContain('trellis_queue_oldest_seconds 0');
    } finally {
      await orm.close();
    }
  });
});

describe('label values', () => {
  it('stay within fixed lists: unknown triggers, statuses, node types and channel types count as "other"', async () => {
    const registry = new Registry();
    const metrics = createRunMetrics({ registry });
    metrics.runStarted({ trigger: 'api' });
    metrics.runStarted({ trigger: 'x'.repeat(500) });
    metrics.nodeFinished({ type: '<script>', status: 'exploded', seconds: 1 });
    metrics.notification({ channelType: 'carrier-pigeon', outcome: 'sent' });
    metrics.notification({ channelType: 'slack', outcome: 'retry' });
    const text = await registry.metrics();
    expect(sample(text, 'trellis_runs_started_total{trigger="api"}')).toBe(1);
    expect(sample(text, 'trellis_runs_started_total{trigger="other"}')).toBe(1);
    expect(sample(text, 'trellis_node_executions_total{type="other",status="other"}')).toBe(1);
    expect(sample(text, 'trellis_notifications_total{channel_type="other",outcome="sent"}')).toBe(1);
    expect(sample(text, 'trellis_notifications_total{channel_type="slack",outcome="retry"}')).toBe(1);
    expect(text).not.toContain('xxxx');
    expect(text).not.toContain('team=');
  });

  it('carry the team only when asked to', async () => {
    const registry = new Registry();
    const metrics = createRunMetrics({ registry, teamLabel: true });
    metrics.runFinished({ status: 'failed', seconds: 2, teamId: 'team_a' });
    metrics.aiUsed({ promptTokens: 3, completionTokens: 0, costUsd: 0.5, teamId: 'team_a' });
    const text = await registry.metrics();
    expect(sample(text, 'trellis_runs_finished_total{status="failed",team="team_a"}')).toBe(1);
    expect(sample(text, 'trellis_ai_tokens_total{kind="prompt",team="team_a"}')).toBe(3);
    expect(sample(text, 'trellis_ai_cost_usd_total{team="team_a"}')).toBe(0.5);
  });
});
