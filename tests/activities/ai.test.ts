// The ai activity against the fake OpenAI-compatible server and the real Redis of the test run.
import { once } from 'node:events';
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { CancelledFailure } from '@temporalio/common';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { CACHE_HITS_KEY, CACHE_MISSES_KEY, createAiActivities, type AiChatInput, type AiChatOutput, type AiDeps } from '../../activities/ai.ts';
import type { CredentialStore } from '../../activities/http.ts';
import { createRedis } from '../../core/redis/client.ts';
import { freePort } from '../../infra/scripts/services.ts';
import { configSchema } from '../../workflows/graph/configs.ts';
import type { AiConfig } from '../../workflows/graph/nodes/ai.ts';
import { testEnv } from '../support/env.ts';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai.ts';
import { failureOf } from '../support/failures.ts';

let fake: FakeOpenAI;
let redis: Redis;

const credentials: CredentialStore = {
  async get(teamId, id): ReturnType<CredentialStore['get']> {
    if (teamId !== 'team-1') return undefined;
    if (id === 'team-key') return { type: 'openai', data: { apiKey: 'sk-team-SECRET-1' } };
    if (id === 'team-provider') return { type: 'openai', data: { apiKey: 'sk-team-SECRET-2', baseUrl: fake.url } };
    if (id === 'metadata') return { type: 'openai', data: { apiKey: 'sk-x', baseUrl: 'http://169.254.169.254/v1' } };
    if (id === 'http') return { type: 'http_bearer', data: { token: 't' } };
    return undefined;
  },
};

function captureLogger() {
  const lines: string[] = [];
  const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

function activities(overrides: Partial<AiDeps> = {}) {
  const { logger, lines } = captureLogger();
  const { aiChat } = createAiActivities({
    openai: { baseUrl: fake.url, apiKey: 'sk-default-SECRET' },
    redis,
    credentials,
    logger,
    ...overrides,
  });
  const env = new MockActivityEnvironment({ startToCloseTimeoutMs: 30_000 }, { logger: new DefaultLogger('ERROR') });
  const runId = `run-${randomUUID()}`;
  return {
    lines,
    env,
    runId,
    chat: (config: Partial<AiConfig> & { prompt: string }, nodeId = 'ask', spend?: AiChatInput['spend']) =>
      env.run(aiChat, { config: configSchema('ai').parse(config), call: { runId, teamId: 'team-1', nodeId, iteration: 0 }, spend } satisfies AiChatInput) as Promise<AiChatOutput>,
  };
}

async function counter(key: string): Promise<number> {
  return Number((await redis.get(key)) ?? 0);
}

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

describe('chat', () => {
  it('answers a plain completion with usage and cost (non-streaming)', async () => {
    const { chat } = activities({ stream: false });
    const out = await chat({ model: 'gpt-4o-mini', system: 'Be brief.', prompt: 'Summarize this', temperature: 0.2, maxTokens: 50 });
    expect(out.text).toBe('You said: Summarize this');
    expect(out.cached).toBe(false);
    expect(out.model).toBe('gpt-4o-mini');
    expect(out.usage).toEqual({ promptTokens: 4, completionTokens: 4, totalTokens: 8 });
    expect(out.priced).toBe(true);
    expect(out.costUsd).toBeCloseTo((4 * 0.15 + 4 * 0.6) / 1e6, 12);
    const sent = fake.requests[0]!;
    expect(sent.path).toBe('/v1/chat/completions');
    expect(sent.body).toMatchObject({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Summarize this' },
      ],
      temperature: 0.2,
      max_tokens: 50,
    });
    expect(sent.body.stream).toBeFalsy();
    expect(sent.headers.authorization).toBe('Bearer sk-default-SECRET');
  });

  it('uses max_completion_tokens for reasoning models and reports unknown models as unpriced', async () => {
    const { chat } = activities({ stream: false });
    await chat({ model: 'o3-mini', prompt: 'think', maxTokens: 10 });
    expect(fake.requests[0]!.body).toMatchObject({ max_completion_tokens: 10 });
    const local = await chat({ model: 'llama3.2:3b', prompt: 'hi' });
    expect(local).toMatchObject({ model: 'llama3.2:3b', costUsd: 0, priced: false });
  });

  it("uses a team credential's API key and base URL", async () => {
    const { chat } = activities({ openai: { baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-default-SECRET' }, allowlist: ['127.0.0.1'] });
    await chat({ prompt: 'hi', credentialId: 'team-provider' });
    expect(fake.requests[0]!.headers.authorization).toBe('Bearer sk-team-SECRET-2');
    const keyOnly = activities();
    await keyOnly.chat({ prompt: 'hi', credentialId: 'team-key' });
    expect(fake.requests[1]!.headers.authorization).toBe('Bearer sk-team-SECRET-1');
  });

  it("guards a credential's base URL against SSRF", async () => {
    const notAllowed = await failureOf(activities({ allowlist: [] }).chat({ prompt: 'hi', credentialId: 'team-provider' }));
    expect(notAllowed.type).toBe('HttpDestinationRefused');
    expect(notAllowed.message).toMatch(/127\.0\.0\.1.*loopback/);
    const metadata = await failureOf(activities({ allowlist: ['127.0.0.1'] }).chat({ prompt: 'hi', credentialId: 'metadata' }));
    expect(metadata.message).toMatch(/metadata/);
    expect(fake.requests).toHaveLength(0);
  });

  it('rejects a credential of the wrong type or a missing one', async () => {
    const { chat } = activities();
    expect((await failureOf(chat({ prompt: 'hi', credentialId: 'http' }))).type).toBe('CredentialTypeMismatch');
    expect((await failureOf(chat({ prompt: 'hi', credentialId: 'gone' }))).type).toBe('CredentialNotFound');
  });

  it('sends no Authorization header to a server that needs no key', async () => {
    const { chat } = activities({ openai: { baseUrl: fake.url } });
    await chat({ prompt: 'hi' });
    expect(fake.requests[0]!.headers.authorization).toBeUndefined();
  });
});

describe('structured output', () => {
  const schema = {
    type: 'object',
    properties: {
      title: { type: 'string' },
      score: { type: 'integer' },
      tags: { type: 'array', items: { type: 'string', enum: ['a', 'b'] } },
    },
    required: ['title', 'score', 'tags'],
    additionalProperties: false,
  };

  it('sends response_format json_schema and returns the validated JSON', async () => {
    const { chat } = activities();
    const out = await chat({ prompt: 'rate it', jsonSchema: schema });
    expect(out.json).toEqual({ title: 'example', score: 1, tags: ['a'] });
    expect(JSON.parse(out.text)).toEqual(out.json);
    expect(fake.requests[0]!.body.response_format).toEqual({ type: 'json_schema', json_schema: { name: 'output', schema, strict: true } });
  });

  it('fails non-retryably when the reply does not match the schema, saying what is wrong', async () => {
    const { chat } = activities();
    fake.script.push({ content: JSON.stringify({ title: 3, tags: ['c'], extra: true }) });
    const failure = await failureOf(chat({ prompt: 'rate it', jsonSchema: schema }));
    expect(failure.nonRetryable).toBe(true);
    expect(failure.type).toBe('AiSchemaMismatch');
    expect(failure.message).toContain('$.title: expected string, got number 3');
    expect(failure.message).toContain('$.score: is required but missing');
    expect(failure.message).toContain('$.tags[0]: must be one of "a", "b"');
    expect(failure.message).toContain('$.extra: is not allowed');
  });

  it('fails non-retryably on a reply that is not JSON, mentioning a cut-off reply', async () => {
    const { chat } = activities();
    fake.script.push({ content: '{"title": "trunc', finishReason: 'length' });
    const failure = await failureOf(chat({ prompt: 'rate it', jsonSchema: schema }));
    expect(failure.type).toBe('AiInvalidJson');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/cut off at maxTokens/);
  });
});

describe('streaming', () => {
  async function listen(runId: string) {
    const subscriber = new Redis(testEnv.redisUrl);
    const events: { type: string; nodeId: string; text: string }[] = [];
    subscriber.on('message', (_channel: string, message: string) => events.push(JSON.parse(message) as (typeof events)[number]));
    await subscriber.subscribe(`run:${runId}`);
    const text = () => events.map((e) => e.text).join('');
    const until = async (expected: string) => {
      for (const deadline = Date.now() + 5_000; text() !== expected && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 20));
    };
    return { events, text, until, close: () => subscriber.disconnect() };
  }

  it('publishes the text to run:<runId> in batches, not one message per token, and heartbeats', async () => {
    // The time rule is the next test's: here only the size rule and the final flush cut batches.
    const { chat, runId, env } = activities({ tokenFlushMs: 60_000 });
    let heartbeats = 0;
    env.on('heartbeat', () => heartbeats++);
    const live = await listen(runId);
    try {
      const content = Array.from({ length: 2_000 }, (_, i) => `w${i}`).join(' ');
      fake.script.push({ content });
      const out = await chat({ prompt: 'count' }, 'streamer');
      expect(out.text).toBe(content);
      expect(out.usage.completionTokens).toBe(2_000);
      expect(fake.requests[0]!.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
      await live.until(content);
      // Same event shape as before (the SSE relay and the run view concatenate `text`), in order.
      expect(live.text()).toBe(content);
      expect(live.events.every((e) => e.type === 'token' && e.nodeId === 'streamer')).toBe(true);
      // 2,000 tokens (~11.9 KB) in 2 KiB batches: 5 full ones and the rest at the end.
      expect(live.events).toHaveLength(Math.ceil(Buffer.byteLength(content) / 2_048));
      for (const event of live.events.slice(0, -1)) expect(Buffer.byteLength(event.text)).toBeGreaterThanOrEqual(2_048);
      for (const event of live.events) expect(Buffer.byteLength(event.text)).toBeLessThan(2_048 + 16);
      expect(heartbeats).toBeGreaterThanOrEqual(4);
    } finally {
      live.close();
    }
  });

  it('sends a slow stream within the flush interval, and what is left at the end', async () => {
    const { chat, runId } = activities(); // flushes after 50 ms
    const live = await listen(runId);
    try {
      fake.script.push({ content: 'one two three', chunkDelayMs: 300 });
      await chat({ prompt: 'slowly' }, 'slow');
      await live.until('one two three');
      expect(live.events.map((e) => e.text)).toEqual(['one ', 'two ', 'three']);
    } finally {
      live.close();
    }
  });

  it('stops the stream when the activity is cancelled', async () => {
    const { chat, env } = activities();
    fake.script.push({ content: Array.from({ length: 200 }, (_, i) => `w${i}`).join(' '), chunkDelayMs: 20 });
    const pending = chat({ prompt: 'long' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    env.cancel();
    await expect(pending).rejects.toBeInstanceOf(CancelledFailure);
  });
});

describe('limits', () => {
  it('caps max_tokens at the operator ceiling (TRELLIS_AI_MAX_OUTPUT_TOKENS, 8192 by default)', async () => {
    await activities().chat({ prompt: 'hi' });
    expect(fake.requests[0]!.body.max_tokens).toBe(8_192);
    const capped = activities({ limits: { maxOutputTokens: 100 } });
    await capped.chat({ prompt: 'hi', maxTokens: 5_000 });
    await capped.chat({ prompt: 'hi', maxTokens: 50 });
    await capped.chat({ model: 'o3-mini', prompt: 'hi' });
    expect(fake.requests.slice(1).map((r) => r.body.max_tokens ?? r.body.max_completion_tokens)).toEqual([100, 50, 100]);
  });

  it('stops a streamed reply past the byte ceiling with ai_output_limit, closing the stream', async () => {
    const { chat } = activities({ limits: { maxOutputBytes: 1_024 } });
    fake.script.push({ content: Array.from({ length: 2_000 }, (_, i) => `word${i}`).join(' '), chunkDelayMs: 2 });
    const failure = await failureOf(chat({ prompt: 'go on and on' }));
    expect(failure.type).toBe('ai_output_limit');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/output limit of 1024 bytes/);
    const request = fake.requests[0]!;
    for (const deadline = Date.now() + 5_000; !request.closed && Date.now() < deadline; ) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(request.closed).toBe(true);
    // ~1 KiB is about 150 words: the fake server was cut off long before its 2,000.
    expect(request.chunks).toBeLessThan(1_000);
  });

  it('refuses a whole reply past the byte ceiling (non-streaming)', async () => {
    const { chat } = activities({ stream: false, limits: { maxOutputBytes: 1_024 } });
    fake.script.push({ content: 'x'.repeat(2_000) });
    expect((await failureOf(chat({ prompt: 'big' }))).type).toBe('ai_output_limit');
  });

  it('allows only the operator allow-list (TRELLIS_AI_MODELS) on the default provider; a team key lifts it', async () => {
    const { chat } = activities({ limits: { models: ['llama*', 'gpt-4o-mini'] } });
    const refused = await failureOf(chat({ model: 'gpt-4o', prompt: 'hi' }));
    expect(refused.type).toBe('model_not_allowed');
    expect(refused.nonRetryable).toBe(true);
    expect(refused.message).toMatch(/model "gpt-4o" is not allowed.*TRELLIS_AI_MODELS allows llama\*, gpt-4o-mini/);
    expect(fake.requests).toHaveLength(0);
    await chat({ model: 'llama3.2:3b', prompt: 'hi' });
    await chat({ model: 'openai/gpt-4o-mini-2024-07-18', prompt: 'hi' });
    await chat({ model: 'gpt-4o', prompt: 'hi', credentialId: 'team-key' });
    expect(fake.requests.map((r) => r.body.model)).toEqual(['llama3.2:3b', 'openai/gpt-4o-mini-2024-07-18', 'gpt-4o']);
  });

  it("holds a run to the graph's settings by the workflow's own count when no ledger is given", async () => {
    const { chat } = activities();
    const tokens = await failureOf(chat({ prompt: 'hi' }, 'ask', { maxAiTokens: 100, spent: { aiTokens: 95, costUsd: 0 } }));
    expect(tokens.type).toBe('quota_ai_tokens');
    expect(tokens.nonRetryable).toBe(true);
    expect(tokens.message).toMatch(/settings\.maxAiTokens is 100 and the run has used 95/);
    const cost = await failureOf(chat({ prompt: 'hi' }, 'ask', { maxCostUsd: 0.01, spent: { aiTokens: 10, costUsd: 0.01 } }));
    expect(cost.type).toBe('budget_exceeded');
    expect(cost.message).toMatch(/settings\.maxCostUsd is \$0\.01 and the run has spent \$0\.01/);
    expect(fake.requests).toHaveLength(0);
    // Room for part of a reply: max_tokens is cut to what fits.
    await chat({ prompt: 'hi' }, 'ask', { maxAiTokens: 100, spent: { aiTokens: 50, costUsd: 0 } });
    expect(fake.requests[0]!.body.max_tokens).toBe(100 - 50 - 5); // prompt "hi": ceil(2 / 3) + 4 per message
  });
});

describe('cache', () => {
  it('answers an identical request from Redis without calling the provider, counting hits and misses', async () => {
    const { chat } = activities();
    const prompt = `cache me ${randomUUID()}`;
    const [hits, misses] = [await counter(CACHE_HITS_KEY), await counter(CACHE_MISSES_KEY)];
    const first = await chat({ prompt, cache: true, model: 'gpt-4o' });
    expect(first.cached).toBe(false);
    expect(await counter(CACHE_MISSES_KEY)).toBe(misses + 1);
    const second = await chat({ prompt, cache: true, model: 'gpt-4o' });
    expect(second).toMatchObject({ text: first.text, model: first.model, cached: true, costUsd: 0 });
    expect(fake.requests).toHaveLength(1);
    // The hit counters are incremented in the background: the global one and the team's.
    for (let i = 0; i < 50 && (await counter(CACHE_HITS_KEY)) === hits; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await counter(CACHE_HITS_KEY)).toBe(hits + 1);
    expect(await counter(`${CACHE_HITS_KEY}:team-1`)).toBeGreaterThan(0);
    // Different parameters, different entry.
    await chat({ prompt, cache: true, model: 'gpt-4o', temperature: 1 });
    expect(fake.requests).toHaveLength(2);
    const keys = await redis.keys('ai:cache:*');
    const entry = keys.find((k) => /^ai:cache:[0-9a-f]{64}$/.test(k))!;
    expect(entry).toBeDefined();
    const ttl = await redis.ttl(entry);
    expect(ttl).toBeGreaterThan(23 * 3600);
    expect(ttl).toBeLessThanOrEqual(24 * 3600);
  });

  it('caches structured output with its JSON', async () => {
    const { chat } = activities();
    const config = { prompt: `json ${randomUUID()}`, cache: true, jsonSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'], additionalProperties: false } };
    const first = await chat(config);
    const second = await chat(config);
    expect(second).toMatchObject({ cached: true, json: { ok: true } });
    expect(first.json).toEqual(second.json);
    expect(fake.requests).toHaveLength(1);
  });

  it('does not use the cache unless the node opts in', async () => {
    const { chat } = activities();
    const prompt = `no cache ${randomUUID()}`;
    await chat({ prompt });
    await chat({ prompt });
    expect(fake.requests).toHaveLength(2);
  });
});

describe('errors', () => {
  it('401 is non-retryable with a clear message and no key in it or in the logs', async () => {
    const { chat, lines } = activities();
    fake.script.push({ status: 401, error: { message: 'Incorrect API key provided: sk-default-SECRET', code: 'invalid_api_key' } });
    const failure = await failureOf(chat({ prompt: 'hi' }));
    expect(failure.nonRetryable).toBe(true);
    expect(failure.type).toBe('AiAuthenticationError');
    expect(failure.message).toMatch(/rejected the API key \(401\)/);
    expect(failure.message).not.toContain('SECRET');
    expect(lines.join('\n')).not.toContain('SECRET');
  });

  it.each([
    [400, 'AiRequestRejected', /rejected the request \(400\)/],
    [403, 'AiAuthenticationError', /refused access \(403\)/],
    [404, 'AiRequestRejected', /does not know model "gpt-4o-mini"/],
    [422, 'AiRequestRejected', /rejected the request \(422\)/],
  ])('%i is non-retryable', async (status, type, message) => {
    const { chat } = activities();
    const failure = await failureOf(chat({ prompt: `hi #status=${status}` }));
    expect(failure.nonRetryable).toBe(true);
    expect(failure.type).toBe(type);
    expect(failure.message).toMatch(message);
  });

  it('429 is retryable with Retry-After as the next retry delay', async () => {
    const { chat } = activities();
    const failure = await failureOf(chat({ prompt: 'hi #status=429 #retry-after=3' }));
    expect(failure.nonRetryable).toBe(false);
    expect(failure.type).toBe('AiRateLimited');
    expect(failure.nextRetryDelay).toBe(3000);
  });

  it('429 insufficient_quota is not retried', async () => {
    const { chat } = activities();
    const failure = await failureOf(chat({ prompt: 'hi #status=429 #code=insufficient_quota' }));
    expect(failure.nonRetryable).toBe(true);
    expect(failure.type).toBe('AiQuotaExceeded');
  });

  it.each([500, 503])('%i is retryable', async (status) => {
    const { chat } = activities();
    const failure = await failureOf(chat({ prompt: `hi #status=${status}` }));
    expect(failure.nonRetryable).toBe(false);
    expect(failure.type).toBe('AiServerError');
  });

  it('a provider that cannot be reached is retryable', async () => {
    const port = await freePort();
    const { chat } = activities({ openai: { baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: 'k' } });
    const failure = await failureOf(chat({ prompt: 'hi' }));
    expect(failure.nonRetryable).toBe(false);
    expect(failure.type).toBe('AiConnectionError');
  });

  it('a slow provider times out retryably', async () => {
    const { chat } = activities({ requestTimeoutMs: 200 });
    const failure = await failureOf(chat({ prompt: 'hi #delay=1000' }));
    expect(failure.nonRetryable).toBe(false);
    expect(failure.type).toBe('AiTimeout');
  });

  it('refuses to call api.openai.com without a key', async () => {
    const { chat } = activities({ openai: { baseUrl: 'https://api.openai.com/v1' } });
    const failure = await failureOf(chat({ prompt: 'hi' }));
    expect(failure.type).toBe('AiConfigurationError');
    expect(failure.nonRetryable).toBe(true);
  });
});

describe('Redis down', () => {
  it('still answers, streaming and with the cache requested (fail-fast client)', async () => {
    const port = await freePort();
    // The options of core/redis/client.ts (commands fail fast while disconnected), plus a short
    // disconnectTimeout so the closed client leaves no timer behind.
    const down = new Redis(`redis://127.0.0.1:${port}`, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000, disconnectTimeout: 10 });
    down.on('error', () => undefined);
    try {
      const { chat, lines } = activities({ redis: down });
      const out = await chat({ prompt: 'still there?', cache: true });
      expect(out).toMatchObject({ text: 'You said: still there?', cached: false });
      expect(lines.join('\n')).toMatch(/"level":20.*redis/);
    } finally {
      down.disconnect();
    }
  });

  it('still answers promptly with a client that queues commands while offline', async () => {
    const port = await freePort();
    const down = new Redis(`redis://127.0.0.1:${port}`, { lazyConnect: true, disconnectTimeout: 10 });
    down.on('error', () => undefined);
    try {
      const { chat } = activities({ redis: down, redisTimeoutMs: 200 });
      const started = Date.now();
      const out = await chat({ prompt: 'queued?', cache: true });
      expect(out.text).toBe('You said: queued?');
      expect(Date.now() - started).toBeLessThan(8_000);
    } finally {
      down.disconnect();
    }
  });
});
