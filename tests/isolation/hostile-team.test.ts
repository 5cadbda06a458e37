// A hostile team on the real stack (api, worker, Temporal, Redis, SQLite): while it submits each
// attack of issue 10 through the API, another team's ordinary runs keep completing, every attack
// fails cleanly with an error naming its limit, and the worker keeps running in this process.
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Team } from '../../core/teams/entities.ts';
import { createUsageService } from '../../core/usage/service.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig, testEnv } from '../support/env.ts';
import { signUp, type SignedUp } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { startTestWorker } from '../support/worker.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.ts';
import { PLANS } from '../../core/plans.ts';

let smtp: TestSmtp;
let openai: FakeOpenAI;
let t: TestApp;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
let server: Server;
let base: string;
let hostile: SignedUp;
let ordinary: SignedUp;

const FINAL = ['succeeded', 'failed', 'cancelled', 'timed_out'];

interface RunDetail {
  status: string;
  output?: unknown;
  nodes: Record<string, { status: string; error?: { message: string; type?: string; kind: string } }>;
}

async function saveWorkflow(who: SignedUp, graph: object) {
  return who.client.post(`/api/v1/teams/${who.personalTeamId}/workflows`, { name: `wf-${randomUUID().slice(0, 8)}`, graph });
}

async function createWorkflow(who: SignedUp, graph: object): Promise<string> {
  const saved = await saveWorkflow(who, graph);
  if (saved.status !== 201) throw new Error(`save: ${saved.status} ${JSON.stringify(saved.body)}`);
  return saved.body.id as string;
}

async function startRun(who: SignedUp, workflowId: string, input: object = {}): Promise<string> {
  const started = await who.client.post(`/api/v1/teams/${who.personalTeamId}/workflows/${workflowId}/runs`, { input });
  if (started.status !== 202 && started.status !== 201) throw new Error(`start: ${started.status} ${JSON.stringify(started.body)}`);
  return started.body.runId as string;
}

/**
 * Polls the run until it reaches a final status with its node states (the state, not a time,
 * ends the wait): on a loaded machine the worker may not answer the state query at once, and
 * the detail then carries the status without the nodes.
 */
async function finished(who: SignedUp, runId: string): Promise<RunDetail> {
  for (;;) {
    const run = await who.client.get(`/api/v1/teams/${who.personalTeamId}/runs/${runId}`);
    if (run.status === 200 && FINAL.includes(run.body.status as string) && Object.keys(run.body.nodes as object).length > 0) return run.body as RunDetail;
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  smtp = await startTestSmtp();
  openai = await startFakeOpenAI();
  const taskQueue = `hostile-${randomUUID()}`;
  t = await createTestApp(testConfig({ SMTP_URL: smtp.url, TEMPORAL_TASK_QUEUE: taskQueue, TRELLIS_SSE_PER_PRINCIPAL: '3' }));
  server = t.app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  worker = await startTestWorker({ address: testEnv.temporalAddress, orm: t.orm, taskQueue, openaiBaseUrl: openai.url, usage: createUsageService({ orm: t.orm }) });
  [hostile, ordinary] = [await signUp(t.app, smtp, { name: 'Mallory' }), await signUp(t.app, smtp, { name: 'Olivia' })];
  // Room for the attacks to run side by side: the worst case for the other team.
  await t.orm.em.fork().nativeUpdate(Team, { id: hostile.personalTeamId }, { plan: 'pro' });
});

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await worker?.stop();
  await t?.close();
  await smtp?.close();
  await openai?.close();
});

describe('a hostile team', () => {
  it('cannot stop or starve another team with runaway expressions; each fails naming its limit', async () => {
    const workerPid = process.pid;
    const attacks = [
      { expression: '$count([1..100].[1..10000000])', limit: 'sequence_length' },
      { expression: '$length($pad("", 200000000))', limit: 'string_length' },
      { expression: `$contains("${'a'.repeat(34)}!", /^(a+)+$/)`, limit: 'cpu_time' },
    ];
    const bombs = await Promise.all(
      attacks.map((attack) =>
        createWorkflow(hostile, {
          nodes: [{ id: 'bomb', type: 'transform', config: { expression: attack.expression } }, { id: 'out', type: 'output', config: { value: '{{ steps.bomb.output }}' } }],
          edges: [{ from: 'bomb', to: 'out' }],
        }),
      ),
    );
    const sum = await createWorkflow(ordinary, {
      nodes: [
        { id: 'total', type: 'transform', config: { expression: '{"id": input.id, "total": $sum(input.items.price)}' } },
        { id: 'out', type: 'output', config: { value: '{{ steps.total.output }}' } },
      ],
      edges: [{ from: 'total', to: 'out' }],
    });

    // The other team runs one ordinary run after another for as long as the attacks last.
    let attacking = true;
    const ordinaryRuns: RunDetail[] = [];
    const ordinaryLoop = (async () => {
      for (let i = 0; attacking || i < 3; i++) {
        ordinaryRuns.push(await finished(ordinary, await startRun(ordinary, sum, { id: `order-${i}`, items: [{ price: 5 }, { price: i }] })));
      }
    })();
    // Every attack twice, all at once.
    const attackRuns = await Promise.all([...bombs, ...bombs].map(async (workflowId) => finished(hostile, await startRun(hostile, workflowId))));
    attacking = false;
    await ordinaryLoop;

    attackRuns.forEach((run, i) => {
      const { limit } = attacks[i % attacks.length] as { limit: string };
      expect(run.status).toBe('failed');
      expect(run.nodes.bomb?.status).toBe('failed');
      expect(run.nodes.bomb?.error).toMatchObject({ type: 'expression_limit', kind: 'user' });
      expect(run.nodes.bomb?.error?.message).toContain(`expression_limit (${limit})`);
      expect(run.nodes.out?.status).not.toBe('succeeded');
    });
    expect(ordinaryRuns.length).toBeGreaterThanOrEqual(3);
    ordinaryRuns.forEach((run, i) => {
      expect(run.status).toBe('succeeded');
      expect(run.output).toEqual({ id: `order-${i}`, total: 5 + i });
    });
    // The worker runs in this process: it is the same one, and its expression runners were
    // replaced after the CPU deadline killed them.
    expect(process.pid).toBe(workerPid);
    expect(worker.expressions.stats().killed.cpu_time).toBeGreaterThanOrEqual(2);
    expect(worker.expressions.stats().runners).toBe(2);
  });

  it('cannot save an AI output schema whose validation blows up', async () => {
    const recursive = { anyOf: [{ type: 'object', properties: { a: { $ref: '#' } } }, { type: 'array', items: { $ref: '#' } }] };
    const saved = await saveWorkflow(hostile, { nodes: [{ id: 'ask', type: 'ai', config: { prompt: 'hi', jsonSchema: recursive } }] });
    expect(saved.status).toBe(422);
    expect(saved.headers['content-type']).toContain('application/problem+json');
    const problems = saved.body.problems as { path: string; message: string }[];
    expect(problems).toContainEqual({ path: 'graph.nodes.0.config.jsonSchema.anyOf.0.properties.a.$ref', message: expect.stringContaining('recursive') as unknown });
  });

  it("cannot spend the operator's AI key past its plan or its own run limits", async () => {
    const ask = (settings?: object) => ({
      ...(settings ? { settings } : {}),
      nodes: [{ id: 'ask', type: 'ai', config: { model: 'gpt-4o-mini', prompt: 'Write {{ input.n }} words', maxTokens: 500 } }],
    });
    // A run's own limit: the graph allows 10 tokens, too few for any answer.
    openai.reset();
    const capped = await finished(hostile, await startRun(hostile, await createWorkflow(hostile, ask({ maxAiTokens: 10 })), { n: 3 }));
    expect(capped.status).toBe('failed');
    expect(capped.nodes.ask?.error).toMatchObject({ type: 'quota_ai_tokens', kind: 'user' });
    expect(openai.requests).toHaveLength(0);

    // The plan's monthly tokens, used up: no call reaches the provider.
    const usage = createUsageService({ orm: t.orm });
    await usage.record(hostile.personalTeamId, { aiTokens: PLANS.pro.aiTokensPerMonth as number });
    const exhausted = await finished(hostile, await startRun(hostile, await createWorkflow(hostile, ask()), { n: 3 }));
    expect(exhausted.status).toBe('failed');
    expect(exhausted.nodes.ask?.error).toMatchObject({ type: 'quota_ai_tokens', kind: 'user' });
    expect(exhausted.nodes.ask?.error?.message).toMatch(/token/i);
    expect(openai.requests).toHaveLength(0);

    // The other team's AI calls still go through.
    const fine = await finished(ordinary, await startRun(ordinary, await createWorkflow(ordinary, ask()), { n: 3 }));
    expect(fine.status).toBe('succeeded');
    expect(openai.requests).toHaveLength(1);
  });

  it('cannot hold more live-event streams than its cap, while another team still opens one', async () => {
    const waiting = { nodes: [{ id: 'ask', type: 'approval', config: { message: 'Go?' } }] };
    const [hostileRun, ordinaryRun] = await Promise.all([
      createWorkflow(hostile, waiting).then((id) => startRun(hostile, id)),
      createWorkflow(ordinary, waiting).then((id) => startRun(ordinary, id)),
    ]);
    const controller = new AbortController();
    const open = (who: SignedUp, runId: string) =>
      fetch(`${base}/api/v1/teams/${who.personalTeamId}/runs/${runId}/events`, {
        headers: { Authorization: `Bearer ${who.token}`, 'X-Forwarded-For': who.client.ip },
        signal: controller.signal,
      });
    try {
      const held = await Promise.all([1, 2, 3].map(() => open(hostile, hostileRun)));
      expect(held.map((r) => r.status)).toEqual([200, 200, 200]);
      const refused = await open(hostile, hostileRun);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(await refused.json()).toMatchObject({ code: 'sse_limit' });
      const other = await open(ordinary, ordinaryRun);
      expect(other.status).toBe(200);
      expect(other.headers.get('content-type')).toContain('text/event-stream');
    } finally {
      controller.abort();
    }
  });

  it('cannot fan out without bound or start itself', async () => {
    const fanOut = await createWorkflow(hostile, {
      nodes: [{ id: 'each', type: 'map', config: { items: '[1..10000]', graph: { nodes: [{ id: 'o', type: 'output', config: { value: '{{ item }}' } }] } } }],
    });
    const run = await finished(hostile, await startRun(hostile, fanOut));
    expect(run.status).toBe('failed');
    expect(run.nodes.each?.error).toMatchObject({ type: 'quota_child_runs', kind: 'user' });

    const self = await createWorkflow(hostile, { nodes: [{ id: 'o', type: 'output', config: { value: 1 } }] });
    const loop = await hostile.client.request('put', `/api/v1/teams/${hostile.personalTeamId}/workflows/${self}`).send({
      graph: { nodes: [{ id: 'again', type: 'subworkflow', config: { workflowId: self } }] },
    });
    expect(loop.status).toBe(422);
    expect(loop.body.problems).toEqual([{ path: 'graph.nodes.0.config.workflowId', message: `workflow ${self} can start itself: ${self} → ${self}` }]);
  });
});

