// The Redis client factory (ioredis). Commands fail fast while Redis is unreachable instead of
// queueing, so a request degrades (readyz 503, a documented rate-limit policy) rather than hangs.
import { Redis } from 'ioredis';
import type { Logger } from '../log.ts';

export type { Redis };

export function createRedis(url: string, logger?: Logger): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    // Keep reconnecting forever, at most every 2 s: Redis coming back must heal the process.
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let down = false;
  redis.on('error', (error: Error) => {
    if (!down) logger?.warn({ err: error.message }, 'redis unavailable');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger?.info('redis connection restored');
    down = false;
  });
  redis.connect().catch(() => undefined); // errors surface through the 'error' event above
  return redis;
}
