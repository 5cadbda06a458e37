// The worker's /metrics (WORKER_METRICS_PORT): Trellis's own metrics (prom-client: runs, nodes, AI,
// notifications, the process) and the Temporal SDK's (task slots, poll latencies), on one endpoint.
// The SDK's exporter is native code that can only listen on a port of its own: it listens on a
// free loopback port and each scrape here appends what it answers.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Logger } from '../core/log.ts';
import { createRunMetrics, type RunMetrics } from '../core/metrics/run-metrics.ts';

/** How long a scrape waits for the SDK's exporter before answering without its part. */
const UPSTREAM_TIMEOUT_MS = 2_000;

export interface WorkerMetrics {
  registry: Registry;
  run: RunMetrics;
}

export function createWorkerMetrics(options: { teamLabel?: boolean; processMetrics?: boolean } = {}): WorkerMetrics {
  const registry = new Registry();
  // Process metrics are global per process: tests that build several registries leave them out.
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'trellis_worker_' });
  return { registry, run: createRunMetrics({ registry, teamLabel: options.teamLabel }) };
}

/** A port nobody listens on right now, for the SDK's exporter (it takes an address, not port 0). */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface MetricsServerOptions {
  host: string;
  port: number;
  registry: Registry;
  /** The SDK exporter's URL (http://127.0.0.1:<port>/metrics), appended to every answer. */
  upstream?: string;
  logger: Logger;
}

export async function serveWorkerMetrics(options: MetricsServerOptions): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('only GET /metrics here\n');
      return;
    }
    void scrape(options).then(
      (text) => res.writeHead(200, { 'content-type': options.registry.contentType }).end(text),
      (error: unknown) => {
        options.logger.warn({ err: (error as Error).message }, 'metrics scrape failed');
        res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable\n');
      },
    );
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(options.port, options.host, resolve));
  return {
    server,
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function scrape(options: MetricsServerOptions): Promise<string> {
  const own = await options.registry.metrics();
  if (!options.upstream) return own;
  try {
    const response = await fetch(options.upstream, { signal: AbortSignal.timeout(UPSTREAM_TIMEOUT_MS) });
    if (!response.ok) throw new Error(`status ${response.status}`);
    const sdk = await response.text();
    return `${own.endsWith('\n') ? own : `${own}\n`}${sdk}`;
  } catch (error) {
    // Trellis's own metrics still answer; the missing SDK part shows as absent series.
    options.logger.debug({ err: (error as Error).message }, 'Temporal SDK metrics not read');
    return own;
  }
}
