// Publishes the workflow's live run events to Redis. Best effort by design: a missed event
// costs nothing, since an SSE client gets a full snapshot when it (re)connects.
import type { InjectedSinks } from '@temporalio/worker';
import type { Logger } from '../core/log.ts';
import type { Redis } from '../core/redis/client.ts';
import { runChannel, type RunEventSinks } from '../workflows/events.ts';

export function createRunEventSinks(redis: Redis, logger: Logger): InjectedSinks<RunEventSinks> {
  return {
    runEvents: {
      publish: {
        fn(_info, event) {
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
