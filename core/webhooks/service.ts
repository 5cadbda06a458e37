// Signed webhooks: POST /hooks/{id} with X-Trellis-Signature: t=<unix s>,v1=<hex HMAC-SHA256(secret,
// "<t>.<raw body>")>. The secret is shown once and kept sealed. One signed request starts at most
// one run: its signature is remembered until it expires, so a replay (with any or no delivery id)
// answers with the first run; X-Trellis-Delivery also deduplicates a sender's re-signed retries.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import type { Orm } from '../db/orm.ts';
import { WebhookDelivery, WebhookRecord, WebhookSignature } from './entities.ts';
import { NotFoundError, OperationalError, UnauthorizedError, UserError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Vault } from '../credentials/vault.ts';
import type { RunService } from '../runs/service.ts';
import { DEFAULT_PRIORITY } from '../runs/intake.ts';
import { newRunId } from '../runs/start-run.ts';
import type { WorkflowService } from '../workflows/service.ts';
import type { Webhook as WireWebhook } from '../../contract/index.ts';


/** A recorded signature or delivery id whose run is not started yet carries this before its run id. */
const PENDING = 'pending:';
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export function sign(secret: string, timestamp: number, rawBody: Buffer | string): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex');
}

/** Checks a signature header; throws 401 naming what is wrong. Returns the signed timestamp and the (normalized) signature. */
export function verifySignature(secret: string, header: string | undefined, rawBody: Buffer, now = Date.now()): { timestamp: number; signature: string } {
  if (!header) throw new UnauthorizedError('X-Trellis-Signature is missing', 'missing_signature');
  const parts = Object.fromEntries(header.split(',').map((part) => part.trim().split('=', 2) as [string, string]));
  const timestamp = Number(parts.t);
  if (!Number.isInteger(timestamp) || !parts.v1) throw new UnauthorizedError('X-Trellis-Signature must be t=<unix seconds>,v1=<hex>', 'invalid_signature');
  if (Math.abs(now / 1000 - timestamp) > SIGNATURE_TOLERANCE_SECONDS) {
    throw new UnauthorizedError(`The signature timestamp is more than ${SIGNATURE_TOLERANCE_SECONDS / 60} minutes away from now`, 'signature_expired');
  }
  const expected = Buffer.from(sign(secret, timestamp, rawBody), 'hex');
  const given = Buffer.from(/^[0-9a-f]+$/i.test(parts.v1) ? parts.v1 : '', 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new UnauthorizedError('The signature does not match the body', 'invalid_signature');
  }
  return { timestamp, signature: expected.toString('hex') };
}

const context = (row: { teamId: string; id: string }) => `webhook:${row.teamId}:${row.id}`;

export type WebhookService = ReturnType<typeof createWebhookService>;

/** The wire shape (contract/): what the api answers with. */
export type WebhookView = WireWebhook;

/** A request whose signature matched: the webhook, and the signature with the moment it stops being accepted. */
export interface VerifiedDelivery {
  hook: WebhookRecord;
  signature: string;
  expiresAt: Date;
}

export interface DeliveryRequest {
  deliveryId?: string;
  rawBody: Buffer;
  contentType?: string;
  runId?: string;
  /** From X-Trellis-Priority; absent: the webhook's own priority. */
  priority?: number;
  /** Called once the request is known to be new (not a replay, not a duplicate delivery), before the run starts; a throw refuses it and forgets it. */
  admit?: () => Promise<void>;
}

export function createWebhookService(deps: { orm: Orm; vault: Vault; runs: RunService; workflows: WorkflowService; publicUrl: string }) {
  const { orm, vault } = deps;
  const url = (id: string) => `${deps.publicUrl.replace(/\/$/, '')}/hooks/${id}`;
  const view = (r: WebhookRecord): WebhookView => ({ id: r.id, url: url(r.id), workflowId: r.workflowId, priority: r.priority, createdAt: r.createdAt.toISOString() });

  /** Finds the webhook and checks the signature (401/404); nothing is recorded or charged yet. */
  async function verify(webhookId: string, request: { signature?: string; rawBody: Buffer }): Promise<VerifiedDelivery> {
    const hook = await orm.em.fork().findOne(WebhookRecord, { id: webhookId });
    if (!hook) throw new NotFoundError('Webhook');
    const secret = vault.open({ keyId: hook.keyId, secret: hook.secret }, context(hook));
    const { timestamp, signature } = verifySignature(secret, request.signature, request.rawBody);
    return { hook, signature, expiresAt: new Date((timestamp + SIGNATURE_TOLERANCE_SECONDS) * 1000) };
  }

  /**
   * Accepts one verified request. A signature seen before (a replay, whatever its delivery id)
   * or a delivery id seen before (the sender's retry) answers with the run it started.
   */
  async function accept(verified: VerifiedDelivery, request: DeliveryRequest) {
    // A twin may find the first request's record and learn that the first was refused after all:
    // it then tries again from the start, as the first request is forgotten. Each round one twin
    // goes first and gets its own answer, so a burst of twins settles in as many rounds.
    for (let attempt = 1; ; attempt++) {
      const accepted = await acceptOnce(verified, request);
      if (accepted) return accepted;
      if (attempt >= 20) throw inProgress();
    }
  }

  function inProgress(): OperationalError {
    return new OperationalError('webhook_delivery_in_progress', 'The same request is being accepted right now; send it again in a moment');
  }

  /**
   * The run a recorded signature or delivery id stands for, once the request that recorded it has
   * started it (its run id is marked pending until then); undefined when that request was refused
   * and its record forgotten. Twins arriving together wait here, so none answers with a run that
   * is never started.
   */
  async function startedRun(read: () => Promise<{ runId: string } | null>): Promise<string | undefined> {
    for (let i = 0; i < 200; i++) {
      const row = await read();
      if (!row) return undefined;
      if (!row.runId.startsWith(PENDING)) return row.runId;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw inProgress();
  }

  async function acceptOnce(verified: VerifiedDelivery, request: DeliveryRequest) {
    const { hook, signature } = verified;
    const webhookId = hook.id;
    if (request.deliveryId && request.deliveryId.length > 200) throw new UserError('invalid_request', 'X-Trellis-Delivery is longer than 200 characters');
    const input = parseBody(request.rawBody, request.contentType);
    let runId = request.runId ?? newRunId();
    const pending = `${PENDING}${runId}`;
    const answer = (id: string, duplicate: boolean) => ({ runId: id, teamId: hook.teamId, workflowId: hook.workflowId, duplicate });
    // Expired signatures can no longer be replayed (verify refuses them): forget them, a minute
    // late so a request verified just before its expiry still finds its twin.
    await orm.em.fork().nativeDelete(WebhookSignature, { webhookId, expiresAt: { $lt: new Date(Date.now() - 60_000) } });
    try {
      await orm.em.fork().insert(WebhookSignature, { webhookId, signature, runId: pending, expiresAt: verified.expiresAt });
    } catch (error) {
      if (!(error instanceof UniqueConstraintViolationException)) throw error;
      const seen = await startedRun(() => orm.em.fork().findOne(WebhookSignature, { webhookId, signature }));
      return seen === undefined ? undefined : answer(seen, true);
    }
    const forget = async () => {
      await orm.em.fork().nativeDelete(WebhookSignature, { webhookId, signature });
      if (request.deliveryId) await orm.em.fork().nativeDelete(WebhookDelivery, { webhookId, deliveryId: request.deliveryId, runId: pending });
    };
    if (request.deliveryId) {
      try {
        await orm.em.fork().insert(WebhookDelivery, { webhookId, deliveryId: request.deliveryId, runId: pending, createdAt: new Date() });
      } catch (error) {
        if (!(error instanceof UniqueConstraintViolationException)) {
          await forget();
          throw error;
        }
        const seen = await startedRun(() => orm.em.fork().findOne(WebhookDelivery, { webhookId, deliveryId: request.deliveryId as string })).catch(async (failure: unknown) => {
          await forget();
          throw failure;
        });
        if (seen === undefined) {
          await forget();
          return undefined;
        }
        // A replay of this retry answers with the same run.
        await orm.em.fork().nativeUpdate(WebhookSignature, { webhookId, signature }, { runId: seen });
        return answer(seen, true);
      }
    }
    try {
      await request.admit?.();
      ({ runId } = await deps.runs.start(hook.teamId, { workflowId: hook.workflowId, input, trigger: 'webhook', triggeredBy: webhookId, runId, priority: request.priority ?? hook.priority }));
    } catch (error) {
      // Not accepted: the sender may send the same request again.
      await forget();
      throw error;
    }
    await orm.em.fork().nativeUpdate(WebhookSignature, { webhookId, signature }, { runId });
    if (request.deliveryId) await orm.em.fork().nativeUpdate(WebhookDelivery, { webhookId, deliveryId: request.deliveryId }, { runId });
    return answer(runId, false);
  }

  return {
    url,

    async create(teamId: string, workflowId: string, actor: string, options: { priority?: number } = {}): Promise<WebhookView & { secret: string }> {
      await deps.workflows.find(teamId, workflowId);
      const id = newId('wh');
      const secret = `whsec_${randomBytes(32).toString('base64url')}`;
      const sealed = vault.seal(secret, context({ teamId, id }));
      const createdAt = new Date();
      const priority = options.priority ?? DEFAULT_PRIORITY;
      await orm.em.fork().insert(WebhookRecord, { id, teamId, workflowId, keyId: sealed.keyId, secret: sealed.secret, createdAt, createdBy: actor, priority });
      return { id, url: url(id), secret, workflowId, priority, createdAt: createdAt.toISOString() };
    },

    async list(teamId: string, workflowId: string): Promise<WebhookView[]> {
      await deps.workflows.find(teamId, workflowId);
      const rows = await orm.em.fork().find(WebhookRecord, { teamId, workflowId }, { orderBy: { createdAt: 'desc' } });
      return rows.map(view);
    },

    async update(teamId: string, workflowId: string, id: string, changes: { priority?: number }): Promise<WebhookView> {
      const em = orm.em.fork();
      const row = await em.findOne(WebhookRecord, { id, teamId, workflowId });
      if (!row) throw new NotFoundError('Webhook');
      if (changes.priority !== undefined) {
        await em.nativeUpdate(WebhookRecord, { id }, { priority: changes.priority });
        row.priority = changes.priority;
      }
      return view(row);
    },

    async delete(teamId: string, workflowId: string, id: string) {
      const deleted = await orm.em.fork().nativeDelete(WebhookRecord, { id, teamId, workflowId });
      if (deleted === 0) throw new NotFoundError('Webhook');
    },

    async deleteForWorkflow(teamId: string, workflowId: string) {
      await orm.em.fork().nativeDelete(WebhookRecord, { teamId, workflowId });
    },

    verify,
    accept,

    /** Verifies and accepts one request (see verify and accept). */
    async deliver(webhookId: string, request: DeliveryRequest & { signature?: string }) {
      return accept(await verify(webhookId, request), request);
    },
  };
}

function parseBody(raw: Buffer, contentType: string | undefined): unknown {
  const text = raw.toString('utf8');
  if (text.length === 0) return {};
  if (!contentType || contentType.includes('json')) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      if (contentType?.includes('json')) throw new UserError('invalid_body', 'The body is not valid JSON', { problems: [{ path: '(body)', message: 'invalid JSON' }] });
    }
  }
  return { body: text };
}
