// AI spend limits in real runs: a worker with usage counters, a stored team, the fake
// OpenAI-compatible server and the Temporal dev server. Over a limit the ai node fails with the
// limit's code and the run ends failed; usage is counted once, whether per call or at the end.
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { RunRecord } from '../../core/runs/entities.ts';
import { createOrm, migrate, type Orm } from '../../core/db/orm.ts';
import { PLANS } from '../../core/plans.ts';
import { startRun } from '../../core/runs/start-run.ts';
import { createTemporalClient } from '../../core/temporal.ts';
import { Team } from '../../core/teams/entities.ts';
import { UsageCounter } from '../../core/usage/entities.ts';
import { createUsageService, periodOf, type UsageService } from '../../core/usage/service.ts';
import { Graph, type GraphInput } from '../../workflows/graph/schema.ts';
import { getRunState } from '../../workflows/messages.ts';
import type { RunGraphResult } from '../../workflows/run-graph.ts';
import { tempDir, testEnv } from '../support/env.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.ts';
import { startTestWorker } from '../support/worker.ts';

let orm: Orm;
let client: Client;
let usage: UsageService;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
let openai: FakeOpenAI;

beforeAll(async () => {
  orm = await createOrm(`sqlite:${join(tempDir('db'), 'app.sqlite')}`);
  await migrate(orm);
  usage = createUsageService({ orm });
  client = await createTemporalClient({ address: testEnv.temporalAddress, namespace: 'default' });
  openai = await startFakeOpenAI();
  worker = await startTestWorker({ address: testEnv.temporalAddress, orm, openaiBaseUrl: openai.url, usage });
});

afterAll(async () => {
  await worker?.stop();
  await Promise.all([client?.connection.close(), openai?.close()]);
  await orm?.close();
});

beforeEach(() => openai.reset());

async function newTeam(plan = 'free'): Promise<string> {
  const teamId = `team_${randomUUID().slice(0, 8)}`;
  const em = orm.em.fork();
  em.create(Team, { id: teamId, name: 'Spenders', personal: true, plan, createdAt: new Date() });
  await em.flush();
  return teamId;
}

async function run(teamId: string, graph: GraphInput) {
  const { runId } = await startRun(client, { taskQueue: worker.taskQueue, blobThresholdBytes: 65_536, maxConcurrency: 10 }, {
    graph: Graph.parse(graph), version: 1, input: {}, teamId, workflowId: 'wf_spend', trigger: 'api',
  });
  return client.workflow.getHandle(runId);
}

async function month(teamId: string) {
  const row = await orm.em.fork().findOne(UsageCounter, { team: teamId, period: periodOf(new Date()) });
  return { aiTokens: Number(row?.aiTokens ?? 0), costMicroUsd: Number(row?.costMicroUsd ?? 0) };
}

const ask = (id: string, prompt: string) => ({ id, type: 'ai' as const, config: { model: 'gpt-4o-mini', prompt } });

describe('AI spend in a run', () => {
  it("fails the node that would pass the graph's settings.maxAiTokens, and the run with it", async () => {
    const teamId = await newTeam();
    openai.script.push({ usage: { prompt_tokens: 10, completion_tokens: 80, total_tokens: 90 } });
    const handle = await run(teamId, {
      settings: { maxAiTokens: 100 },
      nodes: [ask('first', 'Write a haiku'), ask('second', 'Now another one')],
      edges: [{ from: 'first', to: 'second' }],
    });
    const error = await handle.result().then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(WorkflowFailedError);
    expect(String((error as WorkflowFailedError).cause?.message)).toMatch(/node "second" failed: .*settings\.maxAiTokens is 100 and the run has used 90/);
    const state = await handle.query(getRunState);
    expect(state.status).toBe('failed');
    expect(state.nodes.first).toMatchObject({ status: 'succeeded' });
    // Not retried: a limit does not lift on the next attempt.
    expect(state.nodes.second).toMatchObject({ status: 'failed', attempts: 1, error: { kind: 'user', type: 'quota_ai_tokens' } });
    expect(openai.requests).toHaveLength(1);
  });

  it("fails with quota_ai_tokens when the team's monthly tokens are used up, without calling the model", async () => {
    const teamId = await newTeam();
    await usage.record(teamId, { aiTokens: PLANS.free.aiTokensPerMonth! });
    const handle = await run(teamId, { nodes: [ask('only', 'hello')], edges: [] });
    await expect(handle.result()).rejects.toThrow(WorkflowFailedError);
    const state = await handle.query(getRunState);
    expect(state.nodes.only).toMatchObject({ status: 'failed', attempts: 1, error: { type: 'quota_ai_tokens' } });
    expect(state.nodes.only!.error!.message).toMatch(/free plan allows 100000 AI tokens per month/);
    expect(openai.requests).toHaveLength(0);
  });

  it('counts AI usage once: recorded per call, not again when the run finishes', async () => {
    const teamId = await newTeam();
    const handle = await run(teamId, {
      nodes: [ask('a', 'one two three'), ask('b', 'four five'), { id: 'o', type: 'output', config: { value: '{{ steps.b.output.text }}' } }],
      edges: [{ from: 'a', to: 'o' }, { from: 'b', to: 'o' }],
    });
    expect(((await handle.result()) as RunGraphResult).status).toBe('succeeded');
    const state = await handle.query(getRunState);
    expect(state.usage.aiTokens).toBeGreaterThan(0);
    expect((await month(teamId)).aiTokens).toBe(state.usage.aiTokens);
    // Micro-dollars, rounded per call.
    expect(Math.abs((await month(teamId)).costMicroUsd - state.usage.costUsd * 1e6)).toBeLessThanOrEqual(1);
    const row = await orm.em.fork().findOneOrFail(RunRecord, { id: handle.workflowId });
    expect(row.aiTokens).toBe(state.usage.aiTokens);
    expect(row.endedAt).not.toBeNull();
  });
});
