// Relays live run events from Redis pub/sub to SSE clients: one subscriber connection per api
// process, shared by every stream, subscribing to a run's channel while someone watches it.
import { Redis } from 'ioredis';
import type { Logger } from '../core/log.ts';
import { runChannel, type RunEvent } from '../workflows/events.ts';

export type RunEventListener = (event: RunEvent) => void;

export interface RunEventHub {
  /** Resolves once the channel is subscribed in Redis; the returned function removes the listener (idempotent). */
  subscribe(runId: string, listener: RunEventListener): Promise<() => void>;
  /** Channels subscribed and listeners registered in this process (leak checks, metrics). */
  stats(): { channels: number; listeners: number };
  close(): void;
}

interface Channel {
  listeners: Set<RunEventListener>;
  /** The SUBSCRIBE in flight or done; a failed one removes the channel so the next subscribe tries again. */
  ready: Promise<void>;
}

export function createRunEventHub(redisUrl: string, logger: Logger): RunEventHub {
  const subscriber = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: (n) => Math.min(n * 200, 2_000) });
  subscriber.on('error', (error: Error) => logger.debug({ err: error.message }, 'event hub: redis unavailable'));
  const channels = new Map<string, Channel>();
  let connecting: Promise<void> | undefined;

  subscriber.on('message', (name: string, message: string) => {
    const channel = channels.get(name);
    if (!channel) return;
    let event: RunEvent;
    try {
      event = JSON.parse(message) as RunEvent;
    } catch {
      return;
    }
    for (const listener of channel.listeners) listener(event);
  });

  const connect = (): Promise<void> | undefined => {
    if (subscriber.status === 'wait') {
      // A first connection that failed is not kept: ioredis reconnects, and the next subscribe waits for it.
      connecting ??= subscriber.connect().catch((error: unknown) => {
        connecting = undefined;
        throw error;
      });
    }
    return connecting;
  };

  const remove = (name: string, channel: Channel, listener: RunEventListener) => {
    channel.listeners.delete(listener);
    if (channel.listeners.size === 0 && channels.get(name) === channel) {
      channels.delete(name);
      // Sent after the SUBSCRIBE on the same connection, so it also undoes one still in flight.
      subscriber.unsubscribe(name).catch(() => undefined);
    }
  };

  return {
    async subscribe(runId, listener) {
      const name = runChannel(runId);
      let channel = channels.get(name);
      if (!channel) {
        const ready = (async () => {
          await connect();
          await subscriber.subscribe(name);
        })();
        channel = { listeners: new Set(), ready };
        channels.set(name, channel);
      }
      const joined = channel;
      joined.listeners.add(listener);
      try {
        await joined.ready;
      } catch (error) {
        remove(name, joined, listener);
        if (channels.get(name) === joined) channels.delete(name);
        throw error;
      }
      return () => remove(name, joined, listener);
    },
    stats() {
      let listeners = 0;
      for (const channel of channels.values()) listeners += channel.listeners.size;
      return { channels: channels.size, listeners };
    },
    close() {
      subscriber.disconnect();
    },
  };
}
