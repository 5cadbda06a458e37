// The mail worker: delivery workflows and the deliverMail activity on the mail task queue (its own
// queue: a slow SMTP server never takes a run's activity slots, and a flood of runs never delays a
// password reset), plus the sweeper that starts messages recorded while Temporal was away.
import { Client } from '@temporalio/client';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createMailActivities } from '../activities/mail.ts';
import type { Config } from '../core/config.ts';
import type { Orm } from '../core/db/orm.ts';
import type { Logger } from '../core/log.ts';
import { createMailer, type Mailer } from '../core/mail/mailer.ts';
import { createMailOutbox } from '../core/mail/outbox.ts';

/** Deliveries in flight per worker; each holds a slot for at most one attempt's timeout. */
const MAIL_SLOTS = 50;
const SWEEP_INTERVAL_MS = 30_000;

export interface MailDeliveryOptions {
  connection: NativeConnection;
  namespace: string;
  workflowBundle: { code: string };
  config: Pick<Config, 'smtp' | 'mail' | 'dataDir' | 'env'>;
  orm: Orm;
  logger: Logger;
  /** Tests pass their own; by default built from config (SMTP_URL, or the outbox folder). */
  mailer?: Mailer;
  /** The sweeper's interval; 0 runs no sweeper (tests call sweepOnce themselves). */
  sweepIntervalMs?: number;
}

export async function startMailDelivery(options: MailDeliveryOptions) {
  const mailer = options.mailer ?? createMailer({ config: options.config, logger: options.logger });
  const worker = await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.config.mail.taskQueue,
    workflowBundle: options.workflowBundle,
    activities: createMailActivities({ orm: options.orm, mailer, logger: options.logger }),
    maxConcurrentActivityTaskExecutions: MAIL_SLOTS,
  });
  const outbox = createMailOutbox({
    orm: options.orm,
    temporal: new Client({ connection: options.connection, namespace: options.namespace }),
    taskQueue: options.config.mail.taskQueue,
    logger: options.logger,
  });
  const interval = options.sweepIntervalMs ?? SWEEP_INTERVAL_MS;
  const stopSweeper = interval > 0 ? outbox.startSweeper(interval) : () => undefined;
  return {
    worker,
    outbox,
    taskQueue: options.config.mail.taskQueue,
    /** Resolves once the worker has drained (after shutdown() or a shutdown signal). */
    async run() {
      try {
        await worker.run();
      } finally {
        stopSweeper();
        mailer.close();
      }
    },
    shutdown() {
      stopSweeper();
      worker.shutdown();
    },
  };
}
