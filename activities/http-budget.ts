// A worker-wide memory budget for buffered HTTP response bodies (docs/decisions/019-resource-ceilings.md).
//
// Each body reading takes a lease and reserves its bytes chunk by chunk as they arrive; while the
// budget (or its team's share) is used up the reader awaits, so it stops pulling from the socket
// and TCP backpressure holds the rest at the sender. Room that frees up goes to the waiting team
// that holds the least, oldest first: one team's many big downloads cannot shut out another
// team's small call. A wait is bounded; a body that can never fit fails at once.

export interface HttpBufferBudgetOptions {
  /** Bytes every buffered body of this worker may hold together. */
  totalBytes: number;
  /** Bytes one team's buffered bodies may hold together (at most totalBytes). */
  teamBytes: number;
  /** Longest one reservation waits for room. */
  waitMs: number;
}

/** This body alone needs more than the team share or the whole budget: waiting cannot help. */
export class BudgetTooSmallError extends Error {
  readonly limitBytes: number;
  readonly limitName: 'team' | 'total';
  constructor(limitBytes: number, limitName: 'team' | 'total') {
    super(`a buffered body may hold at most ${limitBytes} bytes of this worker's memory (${limitName === 'team' ? "a team's share" : 'the worker budget'})`);
    this.name = 'BudgetTooSmallError';
    this.limitBytes = limitBytes;
    this.limitName = limitName;
  }
}

/** No room came within the wait, or every reader was waiting on the others (nothing could free room). */
export class BudgetExhaustedError extends Error {
  readonly reason: 'wait' | 'deadlock';
  readonly waitedMs: number;
  constructor(reason: 'wait' | 'deadlock', waitedMs: number) {
    super(reason === 'wait' ? `no room in the buffer budget within ${waitedMs} ms` : 'every buffered body was waiting for room; this one gave way');
    this.name = 'BudgetExhaustedError';
    this.reason = reason;
    this.waitedMs = waitedMs;
  }
}

export interface BodyLease {
  /** Reserves `bytes` more; resolves once granted. Rejects on abort, on a wait past waitMs, or when it can never fit. */
  take(bytes: number, signal?: AbortSignal): Promise<void>;
  /** Gives back everything this lease holds (and fails a pending take). Idempotent. */
  release(): void;
  readonly held: number;
}

export interface HttpBufferBudgetStats {
  usedBytes: number;
  /** Reservations waiting for room. */
  waiting: number;
  /** Bodies being read. */
  leases: number;
  byTeam: Record<string, number>;
}

export interface HttpBufferBudget {
  readonly options: HttpBufferBudgetOptions;
  lease(teamId: string): BodyLease;
  stats(): HttpBufferBudgetStats;
}

interface Waiter {
  bytes: number;
  seq: number;
  since: number;
  grant(): void;
  fail(error: Error): void;
}

interface LeaseState {
  teamId: string;
  held: number;
  waiter: Waiter | undefined;
}

export const DEFAULT_HTTP_BUFFER_BUDGET: HttpBufferBudgetOptions = { totalBytes: 256 * 2 ** 20, teamBytes: 64 * 2 ** 20, waitMs: 60_000 };

export function createHttpBufferBudget(options: HttpBufferBudgetOptions = DEFAULT_HTTP_BUFFER_BUDGET): HttpBufferBudget {
  const totalBytes = options.totalBytes;
  const teamBytes = Math.min(options.teamBytes, totalBytes);
  const leases = new Set<LeaseState>();
  const teamHeld = new Map<string, number>();
  let used = 0;
  let seq = 0;

  const heldBy = (teamId: string) => teamHeld.get(teamId) ?? 0;
  const add = (lease: LeaseState, bytes: number) => {
    lease.held += bytes;
    used += bytes;
    const team = heldBy(lease.teamId) + bytes;
    if (team === 0) teamHeld.delete(lease.teamId);
    else teamHeld.set(lease.teamId, team);
  };

  /** Grants what fits, in fair order; then breaks a deadlock if nobody is left reading. */
  function pump(): void {
    for (;;) {
      const waiting = [...leases].filter((l) => l.waiter);
      if (waiting.length === 0) return;
      waiting.sort((a, b) => heldBy(a.teamId) - heldBy(b.teamId) || a.waiter!.seq - b.waiter!.seq);
      let granted = false;
      for (const lease of waiting) {
        const waiter = lease.waiter!;
        // Over its own team's share: it waits for its team, not in everyone's way.
        if (heldBy(lease.teamId) + waiter.bytes > teamBytes) continue;
        // The fairest waiter does not fit the budget: the room that frees up is kept for it.
        if (used + waiter.bytes > totalBytes) break;
        lease.waiter = undefined;
        add(lease, waiter.bytes);
        waiter.grant();
        granted = true;
        break;
      }
      if (granted) continue;
      // Room only comes back from a reader that finishes; when every reader waits, none will.
      if (waiting.length === leases.size) {
        const victim = waiting.reduce((a, b) => (b.held > a.held || (b.held === a.held && b.waiter!.seq > a.waiter!.seq) ? b : a));
        const waiter = victim.waiter!;
        victim.waiter = undefined;
        waiter.fail(new BudgetExhaustedError('deadlock', Date.now() - waiter.since));
        continue;
      }
      return;
    }
  }

  return {
    options: { totalBytes, teamBytes, waitMs: options.waitMs },
    lease(teamId) {
      const state: LeaseState = { teamId, held: 0, waiter: undefined };
      leases.add(state);
      let released = false;
      return {
        get held() {
          return state.held;
        },
        take(bytes, signal) {
          if (released) return Promise.reject(new Error('the lease was released'));
          if (signal?.aborted) return Promise.reject(signal.reason as Error);
          if (state.held + bytes > teamBytes) return Promise.reject(new BudgetTooSmallError(teamBytes, teamBytes < totalBytes ? 'team' : 'total'));
          return new Promise<void>((resolve, reject) => {
            let timer: NodeJS.Timeout | undefined = undefined; // set once the waiter is queued
            const settle = () => {
              if (timer) clearTimeout(timer);
              signal?.removeEventListener('abort', onAbort);
            };
            const onAbort = () => {
              if (state.waiter !== waiter) return;
              state.waiter = undefined;
              settle();
              reject(signal!.reason as Error);
              pump();
            };
            const waiter: Waiter = {
              bytes,
              seq: ++seq,
              since: Date.now(),
              grant: () => (settle(), resolve()),
              fail: (error) => (settle(), reject(error)),
            };
            state.waiter = waiter;
            pump();
            if (state.waiter !== waiter) return; // settled at once
            signal?.addEventListener('abort', onAbort, { once: true });
            timer = setTimeout(() => {
              if (state.waiter !== waiter) return;
              state.waiter = undefined;
              waiter.fail(new BudgetExhaustedError('wait', options.waitMs));
              pump();
            }, options.waitMs);
          });
        },
        release() {
          if (released) return;
          released = true;
          const waiter = state.waiter;
          state.waiter = undefined;
          waiter?.fail(new Error('the lease was released'));
          add(state, -state.held);
          leases.delete(state);
          pump();
        },
      };
    },
    stats() {
      return {
        usedBytes: used,
        waiting: [...leases].filter((l) => l.waiter).length,
        leases: leases.size,
        byTeam: Object.fromEntries(teamHeld),
      };
    },
  };
}
