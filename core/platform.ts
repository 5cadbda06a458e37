// The workflow/run/trigger services, assembled once from config and clients (like core/identity.ts)
// and shared by the api routes and the worker.
import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Config } from './config.ts';
import type { Orm } from './db/orm.ts';
import type { Logger } from './log.ts';
import type { Redis } from './redis/client.ts';
import { createCredentialService } from './credentials/service.ts';
import { createVault, type Vault } from './credentials/vault.ts';
import { createRunService } from './runs/service.ts';
import { createDispatcher } from './runs/dispatcher.ts';
import { createRunIntake } from './runs/intake.ts';
import { createRunQueue } from './runs/queue.ts';
import { createRunListCache } from './runs/list-cache.ts';
import { createRunStats } from './runs/stats.ts';
import { createFailureService } from './failures/service.ts';
import { engineSettings } from './runs/start-run.ts';
import { createScheduleService } from './schedules/service.ts';
import { createAdmission } from './usage/admission.ts';
import type { UsageService } from './usage/service.ts';
import { createWebhookService } from './webhooks/service.ts';
import { createWorkflowService } from './workflows/service.ts';

export type PlatformConfig = Pick<Config, 'env' | 'temporal' | 'engine' | 'web' | 'secretKey' | 'previousSecretKeys' | 'dispatch'>;

/** The vault of the configured key; without one (development, tests) an ephemeral key, with a warning. */
export function vaultFromConfig(config: Pick<Config, 'secretKey' | 'previousSecretKeys'>, logger: Logger): Vault {
  if (config.secretKey) return createVault(config.secretKey, config.previousSecretKeys);
  logger.warn('TRELLIS_SECRET_KEY is not set: credentials and webhook secrets stored now will not open after a restart');
  return createVault(randomBytes(32).toString('base64'));
}

export function createPlatform(deps: { config: PlatformConfig; orm: Orm; redis: Redis; temporal: Client; logger: Logger; usage: UsageService }) {
  const { config, orm, temporal, usage } = deps;
  const engine = engineSettings(config);
  const vault = vaultFromConfig(config, deps.logger);
  const credentials = createCredentialService({ orm, vault });
  // Late-bound: deleting a workflow removes its schedules and webhooks.
  let onDelete = async (_teamId: string, _workflowId: string) => undefined as void;
  const workflows = createWorkflowService({ orm, usage, onDelete: (t, w) => onDelete(t, w) });
  const admission = createAdmission({ orm, redis: deps.redis });
  // Runs queue (core/runs/queue.ts) and leave the queue through this process's dispatcher
  // (started by whoever runs it: api/app.ts, worker/main.ts).
  const listCache = createRunListCache(deps.redis);
  const queue = createRunQueue({ orm, onChange: (teamId) => listCache.invalidate(teamId) });
  const dispatcher = createDispatcher({ orm, redis: deps.redis, temporal, engine, queue, logger: deps.logger, settings: config.dispatch });
  const intake = createRunIntake({ orm, usage, admission, workflows, queue, kick: (teamId) => void dispatcher.kick(teamId) });
  const runs = createRunService({ orm, temporal, engine, intake, queue, usage, admission, workflows, listCache });
  const schedules = createScheduleService({ orm, temporal, engine, workflows, usage, logger: deps.logger });
  const webhooks = createWebhookService({ orm, vault, runs, workflows, publicUrl: config.web.publicUrl });
  onDelete = async (teamId, workflowId) => {
    await schedules.deleteForWorkflow(teamId, workflowId);
    await webhooks.deleteForWorkflow(teamId, workflowId);
  };
  // Aggregates for the dashboard, the lists and the failures view (SQL only, no Temporal).
  const stats = createRunStats({ orm });
  const failures = createFailureService({ orm });
  return { engine, vault, credentials, workflows, runs, schedules, webhooks, queue, dispatcher, intake, stats, failures };
}

export type Platform = ReturnType<typeof createPlatform>;
