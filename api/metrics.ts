// Prometheus metrics of the api process: HTTP requests, webhook deliveries, rate-limited requests
// and the admission queue (docs/decisions/031-metrics-and-alerts.md). Label values are route
// patterns, status codes, outcomes and error codes: bounded, whatever the callers send.
import type { RequestHandler, Response } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from '../core/log.ts';
import type { Orm } from '../core/db/orm.ts';
import { sampleQueue, type QueueSample } from '../core/metrics/queue.ts';

export const WEBHOOK_ROUTE = '/hooks/:webhookId';
export const WEBHOOK_OUTCOMES = ['accepted', 'duplicate', 'refused', 'rate_limited', 'rejected', 'error'] as const;
export type WebhookOutcome = (typeof WEBHOOK_OUTCOMES)[number];
const PRIORITIES = [1, 2, 3, 4, 5];
/** A scrape answers without the queue rather than wait longer than this for the database. */
const QUEUE_QUERY_TIMEOUT_MS = 2_000;

/** Set by the webhook route on success (api/routes/hooks.ts): a duplicate is not a new delivery. */
export function markWebhookOutcome(res: Response, outcome: WebhookOutcome): void {
  res.locals.webhookOutcome = outcome;
}

/** Set by the error handler: the stable code of the problem answered (names the limit on a 429). */
export function markProblemCode(res: Response, code: string): void {
  res.locals.problemCode = code;
}

function webhookOutcome(res: Response): WebhookOutcome {
  const status = res.statusCode;
  if (status < 400) return (res.locals.webhookOutcome as WebhookOutcome | undefined) ?? 'accepted';
  if (status === 401 || status === 404) return 'refused';
  if (status === 429) return 'rate_limited';
  return status < 500 ? 'rejected' : 'error';
}

/**
 * trellis_runs_queued{priority} and trellis_queue_oldest_seconds. The registry collects all
 * metrics at once, so both gauges await one shared query per scrape.
 */
function registerQueueGauges(orm: Orm, registers: Registry[], deps: MetricsDeps) {
  const team = deps.teamLabel ? ['team'] : [];
  let inFlight: Promise<QueueSample[] | undefined> | undefined;
  const read = () =>
    (inFlight ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      try {
        const timeout = new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error('the queue query took too long')), QUEUE_QUERY_TIMEOUT_MS)));
        return await Promise.race([sampleQueue(orm, { byTeam: deps.teamLabel }), timeout]);
      } catch (error) {
        // The series go missing for this scrape: a stale count would mislead more than a gap.
        deps.logger?.warn({ err: (error as Error).message }, 'queue metrics not read');
        return undefined;
      } finally {
        clearTimeout(timer);
        inFlight = undefined;
      }
    })());
  const teamOf = (sample: QueueSample) => sample.teamId ?? 'none';

  new Gauge({
    name: 'trellis_runs_queued',
    help: 'Runs waiting in the admission queue for a concurrency slot, by priority (1 first)',
    labelNames: ['priority', ...team],
    registers,
    async collect() {
      const samples = await read();
      this.reset();
      if (!samples) return;
      if (!deps.teamLabel) for (const priority of PRIORITIES) this.set({ priority: String(priority) }, 0);
      for (const sample of samples) {
        const priority = String(sample.priority);
        this.set(deps.teamLabel ? { priority, team: teamOf(sample) } : { priority }, sample.queued);
      }
    },
  });
  new Gauge({
    name: 'trellis_queue_oldest_seconds',
    help: 'Age of the oldest queued run, from its enqueue time (0 when none waits)',
    labelNames: team,
    registers,
    async collect() {
      const samples = await read();
      this.reset();
      if (!samples) return;
      const now = Date.now();
      const oldest = new Map<string, number>(deps.teamLabel ? [] : [['none', 0]]);
      for (const sample of samples) {
        const age = sample.oldest ? Math.max(0, (now - sample.oldest.getTime()) / 1000) : 0;
        oldest.set(teamOf(sample), Math.max(oldest.get(teamOf(sample)) ?? 0, age));
      }
      for (const [teamId, age] of oldest) {
        if (deps.teamLabel) this.set({ team: teamId }, age);
        else this.set(age);
      }
    },
  });
}

export interface MetricsDeps {
  /** The queue gauges read the run table; without a database they are absent. */
  orm?: Orm;
  logger?: Logger;
  /** A `team` label on the queue gauges (TRELLIS_METRICS_TEAM_LABEL). */
  teamLabel?: boolean;
  /** Process metrics are global per process: tests that build several apps leave them out. */
  processMetrics?: boolean;
}

export function createMetrics(deps: MetricsDeps = {}) {
  const registry = new Registry();
  const registers = [registry];
  if (deps.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'trellis_api_' });
  const duration = new Histogram({
    name: 'trellis_api_http_request_duration_seconds',
    help: 'HTTP request duration by method, route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  const webhooks = new Counter({ name: 'trellis_webhook_deliveries_total', help: 'Requests to POST /hooks/{webhookId}, by outcome', labelNames: ['outcome'], registers });
  for (const outcome of WEBHOOK_OUTCOMES) webhooks.inc({ outcome }, 0);
  const rateLimited = new Counter({ name: 'trellis_rate_limited_total', help: 'Requests refused with 429, by the code of the limit that refused them', labelNames: ['rule'], registers });

  if (deps.orm) registerQueueGauges(deps.orm, registers, deps);

  const measure: RequestHandler = (req, res, next) => {
    const end = duration.startTimer();
    res.on('finish', () => {
      // The route pattern, not the URL, keeps label cardinality bounded.
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      end({ method: req.method, route, status: String(res.statusCode) });
      if (route === WEBHOOK_ROUTE && req.method === 'POST') webhooks.inc({ outcome: webhookOutcome(res) });
      if (res.statusCode === 429) {
        const code = res.locals.problemCode;
        rateLimited.inc({ rule: typeof code === 'string' && /^[a-z_]{1,64}$/.test(code) ? code : 'other' });
      }
    });
    next();
  };
  return { registry, measure };
}
