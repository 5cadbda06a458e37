// A short Redis lock (SET NX PX) around check-then-act sections that several api replicas may
// run at once. When Redis is down the section runs unlocked: the check it guards (a quota) is
// then best effort rather than every request failing (docs/decisions/011).
import { randomUUID } from 'node:crypto';
import type { Redis } from './client.ts';

const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

export async function withLock<T>(redis: Redis, key: string, fn: () => Promise<T>, options: { ttlMs?: number; waitMs?: number } = {}): Promise<T> {
  const token = randomUUID();
  const ttl = options.ttlMs ?? 10_000;
  const deadline = Date.now() + (options.waitMs ?? 5_000);
  let locked = false;
  try {
    while (!locked) {
      locked = (await redis.set(key, token, 'PX', ttl, 'NX')) === 'OK';
      if (!locked) {
        if (Date.now() > deadline) break;
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 30));
      }
    }
  } catch {
    locked = false; // Redis unavailable: run unlocked
  }
  try {
    return await fn();
  } finally {
    if (locked) await redis.eval(RELEASE, 1, key, token).catch(() => undefined);
  }
}
