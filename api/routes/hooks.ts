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
import { createRunWaits } from '../../core/runs/wait.ts';
import type { RunEventHub } from '../events.ts';
import { applyDecision } from '../middleware/rate-limit.ts';
import { markWebhookOutcome } from '../metrics.ts';

export const WEBHOOK_BODY_LIMIT = '1mb';
export const WAIT_TIMEOUT_MS = 30_000;

/** `limiter` absent: no per-webhook limit (RATE_LIMIT_ENABLED=false). */
export function hookRoutes(platform: Platform, hub: RunEventHub, limiter: RateLimiter | undefined, perMinute: number, publicUrl: string): Router {
  const rule = { name: 'webhook', limit: perMinute, windowSeconds: 60 };
  const refusedRule = { name: 'webhook-refused', limit: perMinute, windowSeconds: 60 };
  const router = apiRouter();
  const waits = createRunWaits({ events: hub, runs: platform.runs, workflows: platform.workflows });
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
    // ?wait=true listens before the run starts, so an early output is not missed (core/runs/wait.ts).
    const runId = newRunId();
    const listener = wait ? await waits.listen(runId) : undefined;
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
      if (!listener) return void res.status(202).json({ runId: delivery.runId, duplicate: delivery.duplicate });
      // A replay or duplicate: follow the first request's run (listening before its state is read).
      if (delivery.runId !== runId) await listener.follow(delivery.runId);
      // The caller hung up (the response's close: a request's fires once its body is read).
      const closed = new AbortController();
      res.on('close', () => closed.abort());
      const answer = await listener.answer({
        teamId: delivery.teamId, workflowId: delivery.workflowId, runId: delivery.runId,
        fresh: delivery.runId === runId && !delivery.duplicate, timeoutMs: WAIT_TIMEOUT_MS, signal: closed.signal,
      });

      if (answer) return void res.status(200).json({ runId: delivery.runId, ...answer });
      const url = `${publicUrl.replace(/\/$/, '')}/api/v1/teams/${delivery.teamId}/runs/${delivery.runId}`;
      res.status(202).json({ runId: delivery.runId, status: 'running', url });
    } finally {
      listener?.stop();
    }
  });
  return router;
}
