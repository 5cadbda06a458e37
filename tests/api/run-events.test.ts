// The live-event stream (SSE) of a run, on real Redis: open streams capped per user and per team
// (429 sse_limit), a maximum lifetime ending with a reconnect event, and nothing left behind —
// Redis subscription, hub listener, timer or slot — when a client goes away at any moment,
// setup included. The run service is a stand-in whose answers the test holds back.
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createRunEventHub, type RunEventHub } from '../../api/events.ts';
import { errorHandler } from '../../api/middleware/errors.ts';
import { requestLog } from '../../api/middleware/request-log.ts';
import type { AuthContext } from '../../api/middleware/authenticate.ts';
import { createRunEventStreams, type RunEventStreams } from '../../api/routes/run-events.ts';
import { createStreamSlots, type StreamSlots } from '../../core/limits/streams.ts';
import { createLogger } from '../../core/log.ts';
import { createRedis, type Redis } from '../../core/redis/client.ts';
import type { RunDetail } from '../../core/runs/service.ts';
import { runChannel } from '../../workflows/events.ts';
import { testEnv } from '../support/env.ts';

const logger = createLogger({ level: 'silent', service: 'run-events-test' });
let redis: Redis;
let probe: Redis;
let hub: RunEventHub;

beforeAll(async () => {
  redis = createRedis(testEnv.redisUrl);
  probe = createRedis(testEnv.redisUrl);
  hub = createRunEventHub(testEnv.redisUrl, logger);
  // Until Redis is ready, slots are counted in this process (the fallback): wait so every count is Redis's.
  await until(() => redis.status === 'ready' && probe.status === 'ready', 'Redis is connected');
});
afterAll(() => {
  hub.close();
  redis.disconnect();
  probe.disconnect();
});

/** A point the server stops at until the test lets it go on; `reached` resolves when it gets there. */
function gate() {
  let reach!: () => void;
  let open!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { reached, open, pass: async () => (reach(), opened) };
}
type Gate = ReturnType<typeof gate>;

interface Harness {
  url: (runId: string) => string;
  streams: RunEventStreams;
  slots: StreamSlots;
  /** Requests whose handler has returned (or thrown). */
  handled: () => number;
  gates: { slot?: Gate; subscribe?: Gate; snapshot?: Gate };
  close(): Promise<void>;
}

async function startHarness(limits: { perPrincipal?: number; perTeam?: number; maxLifetimeMs?: number } = {}): Promise<Harness> {
  const realSlots = createStreamSlots({ redis, logger, keyPrefix: `test:slots:${randomUUID()}:` });
  const gates: Harness['gates'] = {};
  const slots: StreamSlots = {
    acquire: async (rules) => (await gates.slot?.pass(), realSlots.acquire(rules)),
    count: realSlots.count,
  };
  const gatedHub: RunEventHub = {
    ...hub,
    subscribe: async (runId, listener) => {
      // The subscription is made while the gate holds: a client leaving now leaves an active one behind.
      const subscribed = hub.subscribe(runId, listener);
      await gates.subscribe?.pass();
      return subscribed;
    },
  };
  const runs = {
    get: async (teamId: string, runId: string) => {
      await gates.snapshot?.pass();
      return { runId, teamId, workflowId: 'wf', version: 1, status: 'waiting', nodes: {} } as unknown as RunDetail;
    },
  };
  const streams = createRunEventStreams({
    runs, hub: gatedHub, slots, logger,
    limits: { perPrincipal: limits.perPrincipal ?? 20, perTeam: limits.perTeam ?? 100, maxLifetimeMs: limits.maxLifetimeMs ?? 60_000 },
  });
  let handled = 0;
  const app = express();
  app.use(requestLog(logger));
  app.use((req, _res, next) => {
    req.auth = { kind: 'user', user: { id: req.get('x-user') ?? 'u1' }, session: {}, via: 'bearer' } as unknown as AuthContext;
    next();
  });
  app.get('/api/v1/teams/:teamId/runs/:runId/events', (req, res, next) => Promise.resolve(streams.handler(req, res, next)).finally(() => handled++));
  app.use(errorHandler);
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: (runId) => `http://127.0.0.1:${port}/api/v1/teams/team-1/runs/${runId}/events`,
    streams, slots, gates, handled: () => handled,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

interface SseEvent { event: string; data: Record<string, unknown> }

/** An open stream: its events as they come, the raw text, and a way to hang up. */
async function connect(url: string, user = 'u1') {
  const controller = new AbortController();
  const response = await fetch(url, { headers: { 'x-user': user }, signal: controller.signal });
  const events: SseEvent[] = [];
  let text = '';
  let ended = false;
  const reading = (async () => {
    if (!response.ok) return;
    const reader = response.body!.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString();
        let cut: number;
        while ((cut = text.indexOf('\n\n')) >= 0) {
          const block = text.slice(0, cut);
          text = text.slice(cut + 2);
          // The reconnection delay is shown as an event of its own; comments (keep-alives) are dropped.
          const retry = /^retry: (\d+)$/m.exec(block)?.[1];
          if (retry) events.push({ event: 'retry', data: { ms: Number(retry) } });
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
        }
      }
    } catch {
      // aborted by the test
    }
    ended = true;
  })();
  return { response, events, ended: () => ended, reading, abort: () => controller.abort() };
}

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function subscriptions(runIds: string[]): Promise<number> {
  const reply = (await probe.call('PUBSUB', 'NUMSUB', ...runIds.map(runChannel))) as (string | number)[];
  return reply.filter((_, i) => i % 2 === 1).reduce<number>((sum, n) => sum + Number(n), 0);
}

describe('run event streams', () => {
  it('caps open streams per user and per team with 429 sse_limit, and a closed stream frees its slot', async () => {
    const h = await startHarness({ perPrincipal: 2, perTeam: 3 });
    const runId = randomUUID();
    try {
      const a1 = await connect(h.url(runId), 'alice');
      const a2 = await connect(h.url(runId), 'alice');
      await until(() => a1.events.length > 0 && a2.events.length > 0, 'both streams sent their snapshot');
      const refused = await fetch(h.url(runId), { headers: { 'x-user': 'alice' } });
      expect(refused.status).toBe(429);
      expect(refused.headers.get('content-type')).toContain('application/problem+json');
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      const problem = (await refused.json()) as { code: string; detail: string };
      expect(problem.code).toBe('sse_limit');
      expect(problem.detail).toMatch(/2 per user \(TRELLIS_SSE_PER_PRINCIPAL\)/);

      const b1 = await connect(h.url(runId), 'bob'); // bob has his own count; the team's third stream
      expect(b1.response.status).toBe(200);
      const carol = await fetch(h.url(runId), { headers: { 'x-user': 'carol' } });
      expect(carol.status).toBe(429);
      expect(((await carol.json()) as { detail: string }).detail).toMatch(/3 per team \(TRELLIS_SSE_PER_TEAM\)/);

      a1.abort();
      await until(async () => (await h.slots.count('principal', 'user:alice')) === 1, "alice's closed stream freed its slot");
      const a3 = await connect(h.url(runId), 'alice');
      expect(a3.response.status).toBe(200);
      for (const stream of [a2, b1, a3]) stream.abort();
      await until(() => h.streams.open === 0, 'every stream is closed');
      expect(await h.slots.count('team', 'team-1')).toBe(0);
    } finally {
      await h.close();
    }
  });

  it('ends a stream at its maximum lifetime with a reconnect event, releasing everything', async () => {
    const h = await startHarness({ maxLifetimeMs: 1_000 });
    const runId = randomUUID();
    try {
      const started = Date.now();
      const stream = await connect(h.url(runId));
      await stream.reading; // the server ends it
      expect(Date.now() - started).toBeGreaterThanOrEqual(900); // at most 10% early (jitter)
      expect(stream.events.map((e) => e.event)).toEqual(['snapshot', 'retry', 'reconnect']);
      expect(stream.events[1]!.data).toEqual({ ms: 1_000 });
      expect(stream.events[2]!.data).toEqual({ reason: 'max_lifetime', maxLifetimeSeconds: 1 });
      await until(() => h.streams.open === 0, 'the stream is disposed');
      expect(hub.stats()).toEqual({ channels: 0, listeners: 0 });
      expect(await subscriptions([runId])).toBe(0);
      expect(await h.slots.count('principal', 'user:u1')).toBe(0);
    } finally {
      await h.close();
    }
  });

  it('leaves no subscription, listener, timer or slot when clients hang up at any moment, setup included', async () => {
    const h = await startHarness();
    const runIds: string[] = [];
    const timers = () => process.getActiveResourcesInfo().filter((type) => type === 'Timeout').length;
    const timersBefore = timers();
    try {
      const cycles = 10;
      for (const phase of ['slot', 'subscribe', 'snapshot', 'streaming'] as const) {
        for (let i = 0; i < cycles; i++) {
          const runId = randomUUID();
          runIds.push(runId);
          const handledBefore = h.handled();
          const held = phase === 'streaming' ? undefined : (h.gates[phase] = gate());
          const controller = new AbortController();
          const response = fetch(h.url(runId), { headers: { 'x-user': `user-${i}` }, signal: controller.signal }).catch(() => undefined);
          if (held) {
            await held.reached; // the server is inside its setup
            controller.abort();
            // The hang-up is handled while the setup still waits.
            await until(() => h.streams.open === 0, `the stream aborted during ${phase} is disposed`);
            held.open();
          } else {
            const answered = await response;
            expect(answered?.status).toBe(200);
            await until(() => hub.stats().listeners === 1, 'the stream is live');
            controller.abort();
          }
          await until(() => h.handled() === handledBefore + 1, 'the handler has returned');
          delete h.gates[phase as keyof Harness['gates']];
        }
      }
      await until(() => h.streams.open === 0, 'every stream is disposed');
      await until(() => hub.stats().listeners === 0, 'every hub listener is gone');
      expect(hub.stats()).toEqual({ channels: 0, listeners: 0 });
      await until(async () => (await subscriptions(runIds)) === 0, 'Redis has no subscription left');
      expect(await h.slots.count('team', 'team-1')).toBe(0);
      // A leak would leave a heartbeat interval and a lifetime timeout per stream: 80 here.
      expect(timers() - timersBefore).toBeLessThan(5);
    } finally {
      await h.close();
    }
  });
});
