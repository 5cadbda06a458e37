// AI spend against the real ledger (core/usage/ai-spend.ts) on SQLite and PostgreSQL, the fake
// OpenAI-compatible server and the test Redis: monthly tokens and budget per plan, the run's own
// limits, models per plan, and reservations that keep parallel calls under a limit.
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { ApplicationFailure } from '@temporalio/common';
import type { Redis } from 'ioredis';
import { pino } from 'pino';
import { createAiActivities, type AiChatInput, type AiChatOutput, type AiDeps } from '../../activities/ai.ts';
import type { CredentialStore } from '../../activities/http.ts';
import { RunRecord } from '../../core/runs/entities.ts';
import { createOrm, migrate, type Orm } from '../../core/db/orm.ts';
import { PLANS } from '../../core/plans.ts';
import { createRedis } from '../../core/redis/client.ts';
import { Team } from '../../core/teams/entities.ts';
import { createAiSpendLedger } from '../../core/usage/ai-spend.ts';
import { UsageCounter } from '../../core/usage/entities.ts';
import { createUsageService, periodOf } from '../../core/usage/service.ts';
import { configSchema } from '../../workflows/graph/configs.ts';
import type { AiConfig } from '../../workflows/graph/nodes/ai.ts';
import { testDatabases, testEnv } from '../support/env.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.ts';
import { failureOf } from '../support/failures.ts';

let fake: FakeOpenAI;
let redis: Redis;

const credentials: CredentialStore = {
  async get(_teamId, id): ReturnType<CredentialStore['get']> {
    return id === 'own-key' ? { type: 'openai', data: { apiKey: 'sk-team-own' } } : undefined;
  },
};

beforeAll(async () => {
  fake = await startFakeOpenAI();
  redis = createRedis(testEnv.redisUrl);
  if (redis.status !== 'ready') await once(redis, 'ready');
});

afterAll(async () => {
  await fake.close();
  redis.disconnect();
});

beforeEach(() => fake.reset());

describe.each(testDatabases)('AI spend on %s', (_name, databaseUrl) => {
  let orm: Orm;

  beforeAll(async () => {
    orm = await createOrm(await databaseUrl());
    await migrate(orm);
  });

  afterAll(async () => {
    await orm?.close();
  });

  /** A stored team with a run in its mirror table, and the ai activity for that run. */
  async function setup(plan = 'free', overrides: Partial<AiDeps> = {}) {
    const teamId = `team_${randomUUID().slice(0, 8)}`;
    const runId = `run_${randomUUID().replaceAll('-', '')}`;
    const em = orm.em.fork();
    em.create(Team, { id: teamId, name: 'Spenders', personal: true, plan, createdAt: new Date() });
    em.create(RunRecord, { id: runId, teamId, workflowId: 'wf', version: 1, trigger: 'api', status: 'running', startedAt: new Date() });
    await em.flush();
    const { aiChat } = createAiActivities({
      openai: { baseUrl: fake.url, apiKey: 'sk-operator' },
      redis,
      credentials,
      logger: pino({ level: 'silent' }),
      spend: createAiSpendLedger({ orm }),
      ...overrides,
    });
    const chat = (config: Partial<AiConfig> & { prompt: string }, spend?: AiChatInput['spend']) => {
      const env = new MockActivityEnvironment({ startToCloseTimeoutMs: 30_000 }, { logger: new DefaultLogger('ERROR') });
      return env.run(aiChat, { config: configSchema('ai').parse(config), call: { runId, teamId, nodeId: 'ask', iteration: 0 }, spend }) as Promise<AiChatOutput>;
    };
    const month = async () => {
      const row = await orm.em.fork().findOne(UsageCounter, { team: teamId, period: periodOf(new Date()) });
      return { aiTokens: Number(row?.aiTokens ?? 0), microUsd: Number(row?.costMicroUsd ?? 0) };
    };
    const run = async () => {
      const row = await orm.em.fork().findOneOrFail(RunRecord, { id: runId });
      return { aiTokens: row.aiTokens, costUsd: Number(row.costUsd) };
    };
    return { teamId, runId, chat, month, run, usage: createUsageService({ orm }) };
  }

  it("records each call's usage on the month and on the run as soon as it ends, reservation settled", async () => {
    const { chat, month, run } = await setup();
    const out = await chat({ prompt: 'Summarize the quarterly report please' });
    expect(out.usage.totalTokens).toBeGreaterThan(0);
    expect(await month()).toEqual({ aiTokens: out.usage.totalTokens, microUsd: Math.round(out.costUsd * 1e6) });
    const second = await chat({ prompt: 'And again' });
    expect((await month()).aiTokens).toBe(out.usage.totalTokens + second.usage.totalTokens);
    expect((await run()).aiTokens).toBe(out.usage.totalTokens + second.usage.totalTokens);
    expect((await run()).costUsd).toBeCloseTo(out.costUsd + second.costUsd, 12);
  });

  it('refuses a call once the monthly AI tokens are used up: quota_ai_tokens, and no request reaches the provider', async () => {
    const { chat, usage, teamId } = await setup();
    await usage.record(teamId, { aiTokens: PLANS.free.aiTokensPerMonth! });
    const failure = await failureOf(chat({ prompt: 'hi' }));
    expect(failure.type).toBe('quota_ai_tokens');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/free plan allows 100000 AI tokens per month and 100000 are used/);
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses a call once the monthly AI budget is spent: budget_exceeded', async () => {
    const { chat, usage, teamId } = await setup();
    await usage.record(teamId, { costUsd: PLANS.free.aiBudgetUsdPerMonth! });
    const failure = await failureOf(chat({ prompt: 'hi' }));
    expect(failure.type).toBe('budget_exceeded');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/free plan allows \$5\.00 of AI spend per month and \$5\.00 is spent/);
    expect(fake.requests).toHaveLength(0);
  });

  it('near the monthly limit, asks the model for only the tokens that are left', async () => {
    const { chat, usage, teamId, month } = await setup();
    await usage.record(teamId, { aiTokens: PLANS.free.aiTokensPerMonth! - 500 });
    await chat({ prompt: 'hi' });
    expect(fake.requests[0]!.body.max_tokens).toBe(500 - 5);
    expect((await month()).aiTokens).toBeLessThanOrEqual(PLANS.free.aiTokensPerMonth!);
  });

  it("holds the run to the graph's maxAiTokens by what its calls recorded, in flight ones included", async () => {
    const { chat, run } = await setup();
    fake.script.push({ usage: { prompt_tokens: 10, completion_tokens: 45, total_tokens: 55 } });
    await chat({ prompt: 'first' }, { maxAiTokens: 60, spent: { aiTokens: 0, costUsd: 0 } });
    expect(fake.requests[0]!.body.max_tokens).toBe(60 - 6); // prompt "first": ceil(5 / 3) + 4
    expect((await run()).aiTokens).toBe(55);
    // The workflow's own count says 0 (say, a parallel branch): the run's row still knows.
    const failure = await failureOf(chat({ prompt: 'second' }, { maxAiTokens: 60, spent: { aiTokens: 0, costUsd: 0 } }));
    expect(failure.type).toBe('quota_ai_tokens');
    expect(failure.message).toMatch(/settings\.maxAiTokens is 60 and the run has used 55/);
    expect(fake.requests).toHaveLength(1);
  });

  it("holds the run to the graph's maxCostUsd: budget_exceeded", async () => {
    const { chat } = await setup('pro');
    // gpt-4o: $2.50 / $10 per 1M tokens; 100 tokens of prompt and reply cost $0.00125 at most.
    fake.script.push({ usage: { prompt_tokens: 100, completion_tokens: 100, total_tokens: 200 } });
    await chat({ model: 'gpt-4o', prompt: 'hi' }, { maxCostUsd: 0.00125, spent: { aiTokens: 0, costUsd: 0 } });
    const failure = await failureOf(chat({ model: 'gpt-4o', prompt: 'hi' }, { maxCostUsd: 0.00125, spent: { aiTokens: 0, costUsd: 0 } }));
    expect(failure.type).toBe('budget_exceeded');
    expect(failure.message).toMatch(/settings\.maxCostUsd is \$0\.00125/);
    expect(fake.requests).toHaveLength(1);
  });

  it('keeps parallel calls under the monthly limit: each reserves its max_tokens before calling', async () => {
    const { chat, usage, teamId, month } = await setup();
    const room = 2_000;
    await usage.record(teamId, { aiTokens: PLANS.free.aiTokensPerMonth! - room });
    // Every reply waits until each call has either reached the provider or been refused, so all
    // the reservations are in flight together however slow the machine is.
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    for (let i = 0; i < 10; i++) fake.script.push({ hold });
    let refusedSoFar = 0;
    const calls = Array.from({ length: 10 }, (_, i) => chat({ prompt: `call ${i}`, maxTokens: 600 }).catch((error: unknown) => {
      refusedSoFar++;
      throw error;
    }));
    const settled = Promise.allSettled(calls);
    while (refusedSoFar + fake.requests.length < 10) await new Promise((r) => setTimeout(r, 10));
    release();
    const results = await settled;
    const refused = results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason as ApplicationFailure);
    expect(refused.every((f) => f.type === 'quota_ai_tokens')).toBe(true);
    // What the requests in flight could use (reply + estimated prompt) never passed the room left.
    const reserved = fake.requests.reduce((sum, r) => sum + r.body.max_tokens! + Math.ceil(Buffer.byteLength('call 0') / 3) + 4, 0);
    expect(reserved).toBeLessThanOrEqual(room);
    expect(fake.requests.length).toBeGreaterThanOrEqual(3);
    expect(refused.length).toBe(10 - fake.requests.length);
    expect((await month()).aiTokens).toBeLessThanOrEqual(PLANS.free.aiTokensPerMonth!);
  });

  it("allows only the plan's models on the operator's key; a team's own key lifts the list", async () => {
    const free = await setup('free');
    const failure = await failureOf(free.chat({ model: 'gpt-4o', prompt: 'hi' }));
    expect(failure.type).toBe('model_not_allowed');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/model "gpt-4o" is not allowed on the free plan \(allowed: gpt-4o-mini/);
    expect(fake.requests).toHaveLength(0);
    await free.chat({ model: 'gpt-4o-mini-2024-07-18', prompt: 'hi' });
    await free.chat({ model: 'gpt-4o', prompt: 'hi', credentialId: 'own-key' });
    await (await setup('pro')).chat({ model: 'gpt-4o', prompt: 'hi' });
    expect(fake.requests.map((r) => r.body.model)).toEqual(['gpt-4o-mini-2024-07-18', 'gpt-4o', 'gpt-4o']);
  });

  it('records what a stopped stream used (estimated when the provider could not say)', async () => {
    const { chat, month } = await setup('free', { limits: { maxOutputBytes: 1_024 } });
    fake.script.push({ content: Array.from({ length: 2_000 }, (_, i) => `word${i}`).join(' ') });
    expect((await failureOf(chat({ prompt: 'on and on' }))).type).toBe('ai_output_limit');
    const used = (await month()).aiTokens;
    // The prompt and ~1 KiB of reply, not the 8,192-token reservation, nor nothing.
    expect(used).toBeGreaterThan(300);
    expect(used).toBeLessThan(500);
  });

  it('answers from the cache over the quota: a cached answer costs nothing', async () => {
    const { chat, usage, teamId, month } = await setup();
    const prompt = `cached ${randomUUID()}`;
    const first = await chat({ prompt, cache: true });
    await usage.record(teamId, { aiTokens: PLANS.free.aiTokensPerMonth! });
    const before = await month();
    expect(await chat({ prompt, cache: true })).toMatchObject({ text: first.text, cached: true });
    expect(await month()).toEqual(before);
    expect(fake.requests).toHaveLength(1);
  });
});
