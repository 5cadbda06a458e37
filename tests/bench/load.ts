// Load generation for the HTTP benchmarks: autocannon with a fresh body per request (webhook
// signatures are never replayed), every answer checked.
import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  connections: number;
  /** Seconds; or `amount` requests in all. */
  duration?: number;
  amount?: number;
  body: () => string;
  headers?: (body: string) => Record<string, string>;
  /** Whether an answer is the right one (counted as `wrong` otherwise). */
  check?: (status: number, body: string) => boolean;
}

export interface LoadResult {
  seconds: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  wrong: number;
  reqPerSec: number;
  p50: number;
  p99: number;
  statusCodes: Record<string, number>;
}

export async function load(options: LoadOptions): Promise<LoadResult> {
  let wrong = 0;
  const started = performance.now();
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    ...(options.amount ? { amount: options.amount } : { duration: options.duration }),
    timeout: 60,
    requests: [{
      method: 'POST',
      setupRequest: (request) => {
        const body = options.body();
        return { ...request, body, headers: { 'content-type': 'application/json', ...options.headers?.(body) } };
      },
      onResponse: (status, body) => {
        if (options.check && !options.check(status, body)) wrong += 1;
      },
    }],
  });
  const seconds = (performance.now() - started) / 1000;
  return {
    seconds,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    wrong,
    reqPerSec: result['2xx'] / (options.amount ? seconds : result.duration),
    p50: result.latency.p50,
    p99: result.latency.p99,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, stat?.count ?? 0])),
  };
}

export function describe(r: LoadResult): string {
  const bad = [r.non2xx && `${r.non2xx} non-2xx ${JSON.stringify(r.statusCodes)}`, r.errors && `${r.errors} errors`, r.timeouts && `${r.timeouts} timeouts`, r.wrong && `${r.wrong} wrong answers`].filter(Boolean);
  return `${r.reqPerSec.toFixed(1)} req/s (${r.ok} answered), p50 ${r.p50} ms, p99 ${r.p99} ms${bad.length ? `; ${bad.join(', ')}` : ''}`;
}
