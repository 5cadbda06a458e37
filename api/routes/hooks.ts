// POST /hooks/{webhookId}: the public, signed webhook endpoint. It reads the raw body (the
// signature covers its exact bytes), so it is mounted before the JSON body parser.
//
// The signature is checked before any budget is charged: a valid new request is charged to the
// webhook's budget; a failed attempt (unknown webhook, bad or missing signature) to the caller's
// network, so whoever learns a webhook URL cannot use up its real sender's deliveries. A replayed
// or duplicate request answers with the first run and is not charged at all.
import express, { type Router } from 'express';
import { apiRouter } from './router.ts';
import type { RateLimiter } from '../../core/limits/limiter.ts';
import { networkOf } from '../../core/limits/network.ts';
import { UserError } from '../../core/errors.ts';
import type { Platform } from '../../core/platform.ts';
import { newRunId } from '../../core/runs/start-run.ts';
import type { RunEvent } from '../../workflows/events.ts';
import type { RunEventHub } from '../events.ts';
import { applyDecision } from '../middleware/rate-limit.ts';
import { markWebhookOutcome } from '../metrics.ts';
import { FINAL_RUN_STATUSES } from '../../workflows/messages.ts';

export const WEBHOOK_BODY_LIMIT = '1mb';
export const WAIT_TIMEOUT_MS = 30_000;

type Answer = { output: unknown } | { status: string; error?: unknown };

/** `limiter` absent: no per-webhook limit (RATE_LIMIT_ENABLED=false). */
export function hookRoutes(platform: Platform, hub: RunEventHub, limiter: RateLimiter | undefined, perMinute: number, publicUrl: string): Router {
  const rule = { name: 'webhook', limit: perMinute, windowSeconds: 60 };
  const refusedRule = { name: 'webhook-refused', limit: perMinute, windowSeconds: 60 };
  const router = apiRouter();
  router.post('/hooks/:webhookId', express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT }), async (req, res) => {
    const webhookId = req.params.webhookId as string;
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    let verified;
    try {
      verified = await platform.webhooks.verify(webhookId, { signature: req.get('X-Trellis-Signature'), rawBody });
    } catch (error) {
      if (limiter && error instanceof UserError && (error.status === 401 || error.status === 404)) {
        // Per network (IPv6 by /64): rotating addresses buys no more attempts.
        const decision = await limiter.consume(refusedRule, networkOf(req.ip));
        applyDecision(res, decision, 'rate_limited_webhook_refused', `This address may make ${refusedRule.limit} unsigned or wrongly signed webhook requests per minute`);
      }
      throw error;
    }
    const wait = req.query.wait === 'true';
    const priorityHeader = req.get('X-Trellis-Priority');
    if (priorityHeader !== undefined && !/^[1-5]$/.test(priorityHeader.trim())) {
      throw new UserError('invalid_priority', 'X-Trellis-Priority must be an integer from 1 (first) to 5', { problems: [{ path: 'X-Trellis-Priority', message: 'must be an integer from 1 to 5' }] });
    }
    // ?wait=true listens before the run starts, so an early output is not missed. Waiting holds
    // this request only (a Redis subscription), never a worker.
    const runId = newRunId();
    const events: RunEvent[] = [];
    let wake = () => undefined as void;
    const listen = (id: string) => hub.subscribe(id, (event) => (events.push(event), wake())).catch(() => undefined);
    let stop = wait ? await listen(runId) : undefined;
    try {
      const delivery = await platform.webhooks.accept(verified, {
        deliveryId: req.get('X-Trellis-Delivery'),
        rawBody,
        contentType: req.get('Content-Type'),
        runId,
        priority: priorityHeader === undefined ? undefined : Number(priorityHeader.trim()),
        admit: limiter
          ? async () => applyDecision(res, await limiter.consume(rule, webhookId), 'rate_limited_webhook', `This webhook accepts ${rule.limit} deliveries per minute`)
          : undefined,
      });
      markWebhookOutcome(res, delivery.duplicate ? 'duplicate' : 'accepted');
      // Recorded and queued: the answer does not wait for the run to start (ADR 028).
      if (!wait) return void res.status(202).json({ runId: delivery.runId, duplicate: delivery.duplicate });
      if (delivery.runId !== runId) {
        // A replay or duplicate: follow the first request's run (listening before its state is read below).
        stop?.();
        stop = await listen(delivery.runId);
      }

      const graph = (await platform.workflows.get(delivery.teamId, delivery.workflowId)).graph;
      const outputs = new Set(graph.nodes.filter((n) => n.type === 'output').map((n) => n.id));
      const answerFrom = (list: RunEvent[]): Answer | undefined => {
        for (const event of list) {
          if (event.type === 'node' && outputs.has(event.nodeId) && event.state.status === 'succeeded') return { output: event.state.outputRef ?? event.state.output };
          if (event.type === 'run') return event.status === 'succeeded' ? { output: event.output } : { status: event.status, error: event.error };
        }
        return undefined;
      };
      // A duplicate delivery's run, or no subscription (Redis down): read its state once. A new run
      // needs no read: we listened before it started, so none of its events is missed (reading
      // a live run asks Temporal and the worker, the largest cost of a ?wait=true request).
      const fresh = delivery.runId === runId && !delivery.duplicate && stop !== undefined;
      const current = fresh ? undefined : await platform.runs.get(delivery.teamId, delivery.runId).catch(() => undefined);
      let answer: Answer | undefined;
      if (current && FINAL_RUN_STATUSES.has(current.status)) answer = current.status === 'succeeded' ? { output: current.output } : { status: current.status, error: current.error };
      const outputNode = current && Object.entries(current.nodes).find(([id, node]) => outputs.has(id) && node.status === 'succeeded');
      if (!answer && outputNode) answer = { output: outputNode[1].outputRef ?? outputNode[1].output };
      answer ??= answerFrom(events);
      if (!answer && stop) {
        answer = await new Promise<Answer | undefined>((resolve) => {
          const timer = setTimeout(() => resolve(undefined), WAIT_TIMEOUT_MS);
          wake = () => {
            const found = answerFrom(events);
            if (found) {
              clearTimeout(timer);
              resolve(found);
            }
          };
          req.on('close', () => {
            clearTimeout(timer);
            resolve(undefined);
          });
        });
      }
      if (answer) return void res.status(200).json({ runId: delivery.runId, ...answer });
      const url = `${publicUrl.replace(/\/$/, '')}/api/v1/teams/${delivery.teamId}/runs/${delivery.runId}`;
      res.status(202).json({ runId: delivery.runId, status: 'running', url });
    } finally {
      stop?.();
    }
  });
  return router;
}
