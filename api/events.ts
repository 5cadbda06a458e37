// Relays live run events from Redis pub/sub to SSE clients: one subscriber connection per api
// process, shared by every stream, subscribing to a run's channel while someone watches it.
import { Redis } from 'ioredis';
import type { Logger } from '../core/log.ts';
import { runChannel, type RunEvent } from '../workflows/events.ts';

export type RunEventListener = (event: RunEvent) => void;

export interface RunEventHub {
  subscribe(runId: string, listener: RunEventListener): Promise<() => void>;
  close(): void;
}

export function createRunEventHub(redisUrl: string, logger: Logger): RunEventHub {
  const subscriber = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: (n) => Math.min(n * 200, 2_000) });
  subscriber.on('error', (error: Error) => logger.debug({ err: error.message }, 'event hub: redis unavailable'));
  const listeners = new Map<string, Set<RunEventListener>>();
  let connecting: Promise<void> | undefined;

  subscriber.on('message', (channel: string, message: string) => {
    const set = listeners.get(channel);
    if (!set) return;
    let event: RunEvent;
    try {
      event = JSON.parse(message) as RunEvent;
    } catch {
      return;
    }
    for (const listener of set) listener(event);
  });

  return {
    async subscribe(runId, listener) {
      const channel = runChannel(runId);
      let set = listeners.get(channel);
      if (!set) {
        set = new Set();
        listeners.set(channel, set);
        if (subscriber.status === 'wait') connecting ??= subscriber.connect();
        await connecting;
        await subscriber.subscribe(channel);
      }
      set.add(listener);
      return () => {
        const current = listeners.get(channel);
        current?.delete(listener);
        if (current && current.size === 0) {
          listeners.delete(channel);
          subscriber.unsubscribe(channel).catch(() => undefined);
        }
      };
    },
    close() {
      subscriber.disconnect();
    },
  };
}
