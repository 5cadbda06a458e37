// Publishes the workflow's live run events to Redis, and counts runs and nodes from them
// (core/metrics/run-metrics.ts). Best effort by design: a missed event costs nothing, since an SSE
// client gets a full snapshot when it (re)connects. Sinks are not called on replay, so a run
// replayed on another worker is not counted twice.
import type { InjectedSinks } from '@temporalio/worker';
import type { WorkflowInfo } from '@temporalio/workflow';
import type { Logger } from '../core/log.ts';
import type { RunMetrics } from '../core/metrics/run-metrics.ts';
import type { Redis } from '../core/redis/client.ts';
import { runChannel, type RunEvent, type RunEventSinks } from '../workflows/events.ts';

export function createRunEventSinks(redis: Redis, logger: Logger, metrics?: RunMetrics): InjectedSinks<RunEventSinks> {
  return {
    runEvents: {
      publish: {
        fn(info, event) {
          if (metrics) {
            try {
              recordMetrics(metrics, info, event);
            } catch (error) {
              logger.debug({ err: (error as Error).message }, 'run metrics not recorded');
            }
          }
          // "started" exists for the metrics; live clients learn the status from their snapshot.
          if (event.type === 'started') return;
          const runId = event.runId ?? '';
          redis.publish(runChannel(runId), JSON.stringify(event)).catch((error: unknown) => {
            logger.debug({ err: (error as Error).message, runId }, 'run event not published');
          });
        },
        callDuringReplay: false,
      },
    },
  };
}

/** The run's team, from its search attributes (a plain object once copied out of the workflow's thread). */
function teamOf(info: WorkflowInfo): string | undefined {
  const attributes = (info as { searchAttributes?: Record<string, unknown> }).searchAttributes;
  const value = (attributes?.TeamId as unknown[] | undefined)?.[0];
  return typeof value === 'string' ? value : undefined;
}

const secondsBetween = (from: number, to: string | undefined) => (to === undefined ? undefined : (Date.parse(to) - from) / 1000);

function recordMetrics(metrics: RunMetrics, info: WorkflowInfo, event: RunEvent) {
  if (event.type === 'started') {
    metrics.runStarted({ trigger: event.trigger, teamId: teamOf(info) });
  } else if (event.type === 'run') {
    metrics.runFinished({ status: event.status, seconds: secondsBetween(new Date(info.startTime).getTime(), event.at), teamId: teamOf(info) });
  } else if (event.type === 'node') {
    const { status, startedAt, endedAt } = event.state;
    if (status !== 'succeeded' && status !== 'failed' && status !== 'cancelled') return;
    // Executed by this workflow run: not cancelled before it began, not seeded by a rerun or
    // carried over continue-as-new (those ended before this run started).
    if (startedAt === undefined || endedAt === undefined || Date.parse(endedAt) < new Date(info.runStartTime).getTime()) return;
    metrics.nodeFinished({ type: event.nodeType, status, seconds: secondsBetween(Date.parse(startedAt), endedAt) });
  }
}
