// The dispatcher: moves queued runs to Temporal as their team's concurrency slots free up
// (docs/decisions/028-admission-queue.md). Every api and worker process runs one; they agree
// through the database and Redis:
// - per team, a Redis lock around "count the active runs, claim the free slots' worth of queued
//   rows" (queue.ts claim, a conditional update), so dispatchers rarely race; the plan itself is
//   held by the claim, which checks its rows against the plan after claiming and puts back any
//   excess (a dispatcher may stall past its lock between counting and claiming);
// - the claimed rows' workflows start outside the lock (workflow id = run id: a second start of
//   the same run is a no-op); a failed start puts its row back in the queue;
// - kicks: the start path kicks its own process's dispatcher, a run's end publishes on
//   DISPATCH_CHANNEL to all; a kick that finds the team's lock held leaves a flag the holder
//   reads after releasing it, so no kick is lost; a periodic scan of the teams with queued runs,
//   round-robin, covers anything else (a process killed mid-dispatch, Redis blips).
// A row claimed by a process killed before its start is relaunched by the reconciler.
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Orm } from '../db/orm.ts';
import { WorkflowVersion } from '../workflows/entities.ts';
import type { Logger } from '../log.ts';
import { DEFAULT_PLAN, planLimits } from '../plans.ts';
import type { Redis } from '../redis/client.ts';
import { Team } from '../teams/entities.ts';
import { countActiveRootRuns } from '../usage/service.ts';
import { Graph } from '../../workflows/graph/schema.ts';
import type { NodeState } from '../../workflows/interpreter/state.ts';
import type { TriggerType } from '../../workflows/inputs.ts';
import type { ClaimedRun, RunQueue } from './queue.ts';
import { startRun, type EngineSettings } from './start-run.ts';

/** Redis pub/sub channel: a message (a team id) asks every dispatcher to look at that team. */
export const DISPATCH_CHANNEL = 'trellis:dispatch';

/** Asks every process's dispatcher to look at a team (after a run ended and freed a slot). */
export async function kickDispatch(redis: Redis, teamId: string): Promise<void> {
  await redis.publish(DISPATCH_CHANNEL, teamId).catch(() => undefined);
}

export interface DispatcherSettings {
  /** Time between scans of the teams with queued runs. */
  intervalMs: number;
  /** Runs claimed at once (and the most one team gets per round). */
  batchSize: number;
  /** How long a team's lock is held at most (a dispatcher killed while holding it). */
  lockMs?: number;
}

/** Workflow starts in flight at once per dispatch round. */
const START_CONCURRENCY = 16;
// Releases the lock only if it is still ours (it may have expired and been taken by another).
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

export type Dispatcher = ReturnType<typeof createDispatcher>;

export function createDispatcher(deps: {
  orm: Orm;
  redis: Redis;
  temporal: Client;
  engine: EngineSettings;
  queue: RunQueue;
  logger?: Logger;
  settings: DispatcherSettings;
}) {
  const { orm, redis, queue, settings } = deps;
  const lockMs = settings.lockMs ?? 10_000;
  const lockKey = (teamId: string) => `trellis:dispatch:lock:${teamId}`;
  const againKey = (teamId: string) => `trellis:dispatch:again:${teamId}`;
  /** Teams this process is dispatching now; `again` when kicked meanwhile. */
  const active = new Map<string, { again: boolean; done: Promise<number> }>();
  let scanOffset = 0;

  /** The plan's concurrent runs (null: unlimited) and this pass's estimate of the free slots. */
  async function slots(teamId: string): Promise<{ allowed: number | null; free: number }> {
    const em = orm.em.fork();
    const plan = (await em.findOne(Team, { id: teamId }, { fields: ['plan'] }))?.plan ?? DEFAULT_PLAN;
    const allowed = planLimits(plan).concurrentRuns;
    if (allowed === null) return { allowed, free: settings.batchSize };
    return { allowed, free: Math.min(settings.batchSize, allowed - (await countActiveRootRuns(em, teamId))) };
  }

  const launch = (run: ClaimedRun) => launchRun(deps, run);

  /** Starts the claimed runs; false when some did not start (they are back in the queue). */
  async function launchAll(runs: ClaimedRun[]): Promise<boolean> {
    let ok = true;
    for (let i = 0; i < runs.length; i += START_CONCURRENCY) {
      await Promise.all(
        runs.slice(i, i + START_CONCURRENCY).map(async (run) => {
          try {
            await launch(run);
          } catch (error) {
            if (error instanceof PermanentStartError) {
              await queue.failClaimed(run.teamId, run.id, `could not start: ${error.message}`);
              deps.logger?.warn({ runId: run.id, teamId: run.teamId, err: error.message }, 'dispatcher: run could not start');
              return;
            }
            ok = false;
            await queue.release(run.teamId, run.id).catch(() => undefined);
            deps.logger?.warn({ runId: run.id, teamId: run.teamId, err: (error as Error).message }, 'dispatcher: start failed, the run is queued again');
          }
        }),
      );
    }
    return ok;
  }

  /** One team, under its lock, until its queue is empty or its slots are full. Returns runs started. */
  async function dispatchTeam(teamId: string): Promise<number> {
    let started = 0;
    for (;;) {
      // The flag first, then the lock: a holder that released before we tried sees the flag.
      await redis.set(againKey(teamId), '1', 'PX', lockMs * 6);
      const token = randomUUID();
      if ((await redis.set(lockKey(teamId), token, 'PX', lockMs, 'NX')) !== 'OK') return started;
      let claimed: ClaimedRun[];
      let returned: number;
      try {
        await redis.del(againKey(teamId));
        const { allowed, free } = await slots(teamId);
        ({ runs: claimed, returned } = await queue.claim(teamId, free, allowed));
      } finally {
        await redis.eval(RELEASE, 1, lockKey(teamId), token).catch(() => undefined);
      }
      if (returned > 0) deps.logger?.info({ teamId, returned }, 'dispatcher: another dispatcher claimed meanwhile; runs past the plan went back to the queue');
      const ok = await launchAll(claimed);
      started += claimed.length;
      // A failed start waits for the next scan (Temporal may be down): no busy loop.
      if (!ok) return started;
      if (claimed.length === 0 && returned === 0 && (await redis.get(againKey(teamId))) === null) return started;
    }
  }

  /** Dispatches a team now (in this process); kicks arriving meanwhile make it look again. */
  function kick(teamId: string): Promise<number> {
    const current = active.get(teamId);
    if (current) {
      current.again = true;
      return current.done;
    }
    const state = { again: true, done: Promise.resolve(0) };
    state.done = (async () => {
      let total = 0;
      try {
        while (state.again) {
          state.again = false;
          total += await dispatchTeam(teamId);
        }
      } catch (error) {
        deps.logger?.warn({ teamId, err: (error as Error).message }, 'dispatcher: dispatch failed (the next scan retries)');
      } finally {
        active.delete(teamId);
      }
      return total;
    })();
    active.set(teamId, state);
    return state.done;
  }

  /** Every team with queued runs, one after the other, starting at a rotating offset (round-robin). */
  async function scan(): Promise<number> {
    const teams = await queue.teamsWithQueued();
    if (teams.length === 0) return 0;
    const start = scanOffset++ % teams.length;
    let total = 0;
    for (let i = 0; i < teams.length; i++) total += await kick(teams[(start + i) % teams.length] as string);
    return total;
  }

  /** Subscribes to kicks and scans every interval until stop(). */
  function start(): () => void {
    const subscriber = redis.duplicate();
    subscriber.on('message', (_channel: string, teamId: string) => void kick(teamId));
    subscriber.on('error', () => undefined);
    const subscribe = () => subscriber.subscribe(DISPATCH_CHANNEL).catch(() => undefined);
    void subscriber.connect().then(subscribe, () => undefined);
    let scanning = false;
    const timer = setInterval(() => {
      if (scanning) return;
      scanning = true;
      if (subscriber.status === 'end') void subscriber.connect().then(subscribe, () => undefined);
      scan()
        .catch((error: unknown) => deps.logger?.warn({ err: (error as Error).message }, 'dispatcher: scan failed'))
        .finally(() => (scanning = false));
    }, settings.intervalMs);
    timer.unref();
    return () => {
      clearInterval(timer);
      subscriber.disconnect();
    };
  }

  return { kick, scan, dispatchTeam, launch, start };
}

/** A claimed run that can never start (its version or graph is gone or invalid): it fails. */
export class PermanentStartError extends Error {}

/**
 * Starts a claimed run's workflow (the dispatcher; the reconciler for a claim whose start was
 * lost). Starting a run whose workflow exists is a no-op. Throws when it did not start.
 */
export async function launchRun(deps: { orm: Orm; temporal: Client; engine: EngineSettings }, run: ClaimedRun): Promise<void> {
  const version = await deps.orm.em.fork().findOne(WorkflowVersion, { workflowId: run.workflowId, version: run.version });
  if (!version) throw new PermanentStartError(`workflow ${run.workflowId} has no version ${run.version}`);
  let graph: Graph;
  try {
    graph = Graph.parse(version.graph);
  } catch (error) {
    throw new PermanentStartError(`its graph is not valid: ${(error as Error).message}`);
  }
  await startRun(deps.temporal, deps.engine, {
    runId: run.id, graph, version: run.version, teamId: run.teamId, workflowId: run.workflowId, trigger: run.trigger as TriggerType,
    input: run.input ? (JSON.parse(run.input) as unknown) : {},
    ...(run.seed ? { seed: JSON.parse(run.seed) as Record<string, NodeState> } : {}),
    priority: run.priority,
    // Its row was claimed as running: the workflow does not record its start (ADR 029).
    recorded: true,
  });
}
