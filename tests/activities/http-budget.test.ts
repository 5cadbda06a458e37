// @lane unit
// The worker-wide budget for buffered http bodies: on its own (fair grants across teams, bounded
// waits, deadlock breaking), then under the http activity against a local server (backpressure on
// the socket, another team's call going through, every path giving its bytes back).
import type { ServerResponse } from 'node:http';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { CancelledFailure } from '@temporalio/common';
import { pino } from 'pino';
import { BudgetExhaustedError, BudgetTooSmallError, createHttpBufferBudget, type HttpBufferBudget } from '../../activities/http-budget.ts';
import { createHttpActivities, type HttpDeps, type HttpResponse } from '../../activities/http.ts';
import { configSchema } from '../../workflows/graph/configs.ts';
import type { HttpConfig } from '../../workflows/graph/nodes/http.ts';
import { startHttpTarget } from '../support/http-target.ts';
import { failureOf } from '../support/failures.ts';

const KiB = 1024;

/** Settles on the next turns of the event loop; tells whether the promise has resolved yet. */
async function state(promise: Promise<unknown>): Promise<'pending' | 'granted' | 'failed'> {
  let result: 'pending' | 'granted' | 'failed' = 'pending';
  promise.then(
    () => (result = 'granted'),
    () => (result = 'failed'),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return result;
}

const empty = { usedBytes: 0, waiting: 0, leases: 0, byTeam: {} };

describe('http buffer budget', () => {
  it('grants within the budget at once and gives everything back on release', async () => {
    const budget = createHttpBufferBudget({ totalBytes: 100 * KiB, teamBytes: 100 * KiB, waitMs: 10_000 });
    const lease = budget.lease('a');
    await lease.take(40 * KiB);
    await lease.take(40 * KiB);
    expect(budget.stats()).toEqual({ usedBytes: 80 * KiB, waiting: 0, leases: 1, byTeam: { a: 80 * KiB } });
    lease.release();
    lease.release(); // idempotent
    expect(budget.stats()).toEqual(empty);
  });

  it('makes a reader wait when the budget is used up, and grants once room frees up', async () => {
    const budget = createHttpBufferBudget({ totalBytes: 100 * KiB, teamBytes: 100 * KiB, waitMs: 10_000 });
    const first = budget.lease('a');
    await first.take(90 * KiB);
    const second = budget.lease('a');
    const waiting = second.take(20 * KiB);
    expect(await state(waiting)).toBe('pending');
    expect(budget.stats()).toMatchObject({ usedBytes: 90 * KiB, waiting: 1 });
    first.release();
    expect(await state(waiting)).toBe('granted');
    second.release();
    expect(budget.stats()).toEqual(empty);
  });

  it("caps one team at its share, so another team's call goes through", async () => {
    const budget = createHttpBufferBudget({ totalBytes: 100 * KiB, teamBytes: 50 * KiB, waitMs: 10_000 });
    const big = [budget.lease('a'), budget.lease('a'), budget.lease('a')];
    await big[0]!.take(30 * KiB);
    await big[1]!.take(20 * KiB);
    const over = big[2]!.take(10 * KiB);
    expect(await state(over)).toBe('pending'); // team a is at its share although the budget has room
    const small = budget.lease('b');
    expect(await state(small.take(10 * KiB))).toBe('granted');
    expect(budget.stats().byTeam).toEqual({ a: 50 * KiB, b: 10 * KiB });
    big[2]!.release(); // e.g. its activity was cancelled while waiting
    expect(await state(over)).toBe('failed');
    for (const lease of [...big, small]) lease.release();
    expect(budget.stats()).toEqual(empty);
  });

  it('gives freed room to the waiting team that holds the least, not to whoever asked first', async () => {
    const budget = createHttpBufferBudget({ totalBytes: 100 * KiB, teamBytes: 80 * KiB, waitMs: 10_000 });
    const a1 = budget.lease('a');
    await a1.take(60 * KiB);
    const c = budget.lease('c');
    await c.take(40 * KiB);
    const a2 = budget.lease('a');
    const aWaits = a2.take(10 * KiB); // asked first
    const b = budget.lease('b');
    const bWaits = b.take(10 * KiB);
    expect([await state(aWaits), await state(bWaits)]).toEqual(['pending', 'pending']);
    c.release(); // 40 KiB free: b (holding nothing) goes first, then a
    expect(await state(bWaits)).toBe('granted');
    expect(await state(aWaits)).toBe('granted');
    // A newcomer of a big team does not jump ahead of a small team waiting for room.
    const b2 = budget.lease('b');
    await b2.take(20 * KiB); // 100 KiB used
    const bigNew = budget.lease('a');
    const bigWaits = bigNew.take(10 * KiB);
    const smallNew = budget.lease('d');
    const smallWaits = smallNew.take(15 * KiB);
    a2.release(); // 10 KiB free: not enough for d (15 KiB), and kept for it rather than handed to a
    expect([await state(bigWaits), await state(smallWaits)]).toEqual(['pending', 'pending']);
    b2.release();
    expect(await state(smallWaits)).toBe('granted');
    expect(await state(bigWaits)).toBe('granted');
    for (const lease of [a1, b, bigNew, smallNew]) lease.release();
    expect(budget.stats()).toEqual(empty);
  });

  it('fails a wait past waitMs, retryably, and counts nothing for it', async () => {
    const budget = createHttpBufferBudget({ totalBytes: 10 * KiB, teamBytes: 10 * KiB, waitMs: 50 });
    const holder = budget.lease('a');
    await holder.take(10 * KiB);
    const other = budget.lease('b');
    // holder is still "reading" (not waiting), so this is a plain wait, not a deadlock
    const error = await other.take(KiB).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExhaustedError);
    expect((error as BudgetExhaustedError).reason).toBe('wait');
    other.release();
    holder.release();
    expect(budget.stats()).toEqual(empty);
  });

  it('stops waiting when the signal aborts', async () => {
    const budget = createHttpBufferBudget({ totalBytes: 10 * KiB, teamBytes: 10 * KiB, waitMs: 60_000 });
    const holder = budget.lease('a');
    await holder.take(10 * KiB);
    const other = budget.lease('b');
    const controller = new AbortController();
    const waiting = other.take(KiB, controller.signal);
    expect(await state(waiting)).toBe('pending');
    controller.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
    expect(budget.stats().waiting).toBe(0);
    other.release();
    holder.release();
    expect(budget.stats()).toEqual(empty);
  });

  it('breaks a deadlock (every reader waiting) by failing the one holding the most', async () => {
    const budget = createHttpBufferBudget({ totalBytes: 100 * KiB, teamBytes: 100 * KiB, waitMs: 60_000 });
    const small = budget.lease('a');
    const large = budget.lease('b');
    await small.take(40 * KiB);
    await large.take(60 * KiB);
    const smallWaits = small.take(10 * KiB);
    expect(await state(smallWaits)).toBe('pending'); // large is still reading: it may finish
    const error = await large.take(10 * KiB).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetExhaustedError);
    expect((error as BudgetExhaustedError).reason).toBe('deadlock');
    large.release();
    expect(await state(smallWaits)).toBe('granted');
    small.release();
    expect(budget.stats()).toEqual(empty);
  });

  it('refuses at once a body that can never fit its team share', async () => {
    const budget = createHttpBufferBudget({ totalBytes: 100 * KiB, teamBytes: 30 * KiB, waitMs: 60_000 });
    const lease = budget.lease('a');
    await lease.take(20 * KiB);
    const error = await lease.take(20 * KiB).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BudgetTooSmallError);
    expect(error).toMatchObject({ limitBytes: 30 * KiB, limitName: 'team' });
    lease.release();
    expect(budget.stats()).toEqual(empty);
  });
});

// ---------------------------------------------------------------------------------------------

const MiB = 1024 * KiB;

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('the http activity under the budget', () => {
  /** Responses that sent their bytes and stay open until the test ends them. */
  const holds = new Map<string, ServerResponse>();
  /** Bodies written as fast as the client takes them: bytes handed to the socket, and whether the writer waits for drain. */
  const streams = new Map<string, { written: number; blocked: boolean }>();
  let target: Awaited<ReturnType<typeof startHttpTarget>>;
  const param = (url: string | undefined, name: string) => new URL(url ?? '/', 'http://x').searchParams.get(name) ?? '';

  beforeAll(async () => {
    target = await startHttpTarget({
      '/hold': (req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.write(Buffer.alloc(Number(param(req.url, 'bytes')), 120));
        holds.set(param(req.url, 'id'), res);
      },
      '/stream': (req, res) => {
        const total = Number(param(req.url, 'bytes'));
        const progress = { written: 0, blocked: false };
        streams.set(param(req.url, 'id'), progress);
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        const piece = Buffer.alloc(16 * KiB, 121);
        const pump = () => {
          while (progress.written < total) {
            if (res.destroyed) return;
            const n = Math.min(piece.length, total - progress.written);
            progress.written += n;
            if (!res.write(piece.subarray(0, n))) {
              progress.blocked = true;
              res.once('drain', () => ((progress.blocked = false), pump()));
              return;
            }
          }
          res.end();
        };
        pump();
      },
      '/reset-midway': (req, res) => {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.write(Buffer.alloc(64 * KiB), () => req.socket.destroy());
      },
      '/small': (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      },
    });
  });
  afterAll(async () => {
    for (const res of holds.values()) res.destroy();
    await target.close();
  });
  const endHold = (id: string) => holds.get(id)!.end();

  function http(budget: HttpBufferBudget, overrides: Partial<HttpDeps> = {}) {
    const logger = pino({ level: 'silent' });
    const { httpRequest } = createHttpActivities({ allowlist: ['127.0.0.1'], credentials: { get: async () => undefined }, logger, bufferBudget: budget, ...overrides });
    return (path: string, teamId: string, config: Partial<HttpConfig> = {}) => {
      // One environment per call: cancelling one must not cancel the others.
      const env = new MockActivityEnvironment({ startToCloseTimeoutMs: 60_000 }, { logger: new DefaultLogger('ERROR') });
      const input = { config: configSchema('http').parse({ url: `${target.url}${path}`, ...config }), call: { runId: 'run-1', teamId, nodeId: 'fetch', iteration: 0 } };
      return { env, response: env.run(httpRequest, input) as Promise<HttpResponse> };
    };
  }

  it('stops reading the socket when the budget is used up, resumes when room frees, and returns to zero', async () => {
    const budget = createHttpBufferBudget({ totalBytes: 2 * MiB, teamBytes: 2 * MiB, waitMs: 30_000 });
    const request = http(budget);
    const holder = request('/hold?id=h1&bytes=1572864', 'team-1');
    await until(() => budget.stats().usedBytes === 1.5 * MiB, 'the first body is buffered');
    const big = request('/stream?id=s1&bytes=41943040', 'team-1', { maxResponseBytes: 50 * MiB });
    // The second body waits for room; its sender is stuck on a full socket, far from its 40 MiB.
    await until(() => budget.stats().waiting === 1 && streams.get('s1')?.blocked === true, 'the reader waits and the sender is blocked');
    expect(budget.stats().usedBytes).toBeLessThanOrEqual(2 * MiB);
    expect(streams.get('s1')!.written).toBeLessThan(16 * MiB);
    // Ending the first body frees room; the big one moves on until it needs more than the budget has.
    endHold('h1');
    expect(((await holder.response).body as { bytes: number }).bytes).toBe(1.5 * MiB);
    // The big body never fits 2 MiB: it fails with the limit named, non-retryably.
    const failure = await failureOf(big.response);
    expect(failure.type).toBe('HttpResponseTooLarge');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/2097152 bytes one response may buffer in this worker \(TRELLIS_HTTP_BUFFER_BUDGET_MB\)/);
    expect(budget.stats()).toEqual(empty);
  });

  it('completes a waiting body once room frees up', async () => {
    const budget = createHttpBufferBudget({ totalBytes: 256 * KiB, teamBytes: 256 * KiB, waitMs: 30_000 });
    const request = http(budget);
    const holder = request('/hold?id=h2&bytes=204800', 'team-1');
    await until(() => budget.stats().usedBytes === 200 * KiB, 'the first body is buffered');
    const second = request('/stream?id=s2&bytes=204800', 'team-1');
    await until(() => budget.stats().waiting === 1, 'the second body waits');
    endHold('h2');
    await holder.response;
    expect(((await second.response).body as { bytes: number }).bytes).toBe(200 * KiB);
    expect(budget.stats()).toEqual(empty);
  });

  it("lets another team's call through while one team's big downloads hold their share", async () => {
    const budget = createHttpBufferBudget({ totalBytes: 1 * MiB, teamBytes: 512 * KiB, waitMs: 30_000 });
    const request = http(budget);
    const greedy = ['g1', 'g2', 'g3'].map((id) => request(`/hold?id=${id}&bytes=307200`, 'team-a'));
    await until(() => (budget.stats().byTeam['team-a'] ?? 0) > 400 * KiB && budget.stats().waiting >= 1, 'team a is at its share and waits');
    const held = budget.stats().byTeam['team-a']!;
    expect(held).toBeLessThanOrEqual(512 * KiB);
    const small = await request('/small', 'team-b').response;
    expect(small.body).toEqual({ ok: true });
    const medium = await request('/stream?id=s3&bytes=409600', 'team-b').response; // 400 KiB: the rest of the budget
    expect((medium.body as { bytes: number }).bytes).toBe(400 * KiB);
    expect(budget.stats().byTeam['team-a']).toBe(held); // team a kept waiting meanwhile, never past its share
    for (const id of ['g1', 'g2', 'g3']) await until(() => holds.has(id), `${id} was answered`).then(() => endHold(id));
    for (const call of greedy) expect(((await call.response).body as { bytes: number }).bytes).toBe(300 * KiB);
    expect(budget.stats()).toEqual(empty);
  });

  it('gives the bytes back when the activity is cancelled, times out or the wait runs out while waiting for room', async () => {
    const budget = createHttpBufferBudget({ totalBytes: 256 * KiB, teamBytes: 256 * KiB, waitMs: 30_000 });
    const holder = http(budget)('/hold?id=h4&bytes=204800', 'team-1');
    await until(() => budget.stats().usedBytes === 200 * KiB, 'the first body is buffered');

    const cancelled = http(budget)('/stream?id=s4&bytes=1048576', 'team-1');
    await until(() => budget.stats().waiting === 1, 'the reader waits');
    cancelled.env.cancel();
    await expect(cancelled.response).rejects.toBeInstanceOf(CancelledFailure);
    expect(budget.stats()).toMatchObject({ usedBytes: 200 * KiB, waiting: 0, leases: 1 });

    const timedOut = await failureOf(http(budget, { fetchTimeoutMs: 300 })('/stream?id=s5&bytes=1048576', 'team-1').response);
    expect(timedOut).toMatchObject({ type: 'HttpTimeout', nonRetryable: false });
    expect(budget.stats()).toMatchObject({ usedBytes: 200 * KiB, waiting: 0, leases: 1 });

    const short = createHttpBufferBudget({ totalBytes: 256 * KiB, teamBytes: 256 * KiB, waitMs: 100 });
    const shortHolder = http(short)('/hold?id=h5&bytes=204800', 'team-1');
    await until(() => short.stats().usedBytes === 200 * KiB, 'the first body is buffered');
    const waited = await failureOf(http(short)('/stream?id=s6&bytes=1048576', 'team-2').response);
    expect(waited).toMatchObject({ type: 'HttpBufferBudgetExhausted', nonRetryable: false });
    expect(waited.message).toMatch(/TRELLIS_HTTP_BUFFER_BUDGET_MB/);
    endHold('h5');
    await shortHolder.response;
    expect(short.stats()).toEqual(empty);

    endHold('h4');
    await holder.response;
    expect(budget.stats()).toEqual(empty);
  });

  it('gives the bytes back when the body is too large or the connection breaks midway', async () => {
    const budget = createHttpBufferBudget({ totalBytes: 4 * MiB, teamBytes: 4 * MiB, waitMs: 30_000 });
    const request = http(budget);
    const tooLarge = await failureOf(request('/stream?id=s7&bytes=1048576', 'team-1', { maxResponseBytes: 100 * KiB }).response);
    expect(tooLarge).toMatchObject({ type: 'HttpResponseTooLarge', nonRetryable: true });
    expect(budget.stats()).toEqual(empty);
    const broken = await failureOf(request('/reset-midway', 'team-1').response);
    expect(broken).toMatchObject({ type: 'HttpNetworkError', nonRetryable: false });
    expect(budget.stats()).toEqual(empty);
  });
});
