// The mail worker: delivery workflows and the deliverMail activity on the mail task queue (its own
// queue: a slow SMTP server never takes a run's activity slots, and a flood of runs never delays a
// password reset), plus the sweeper that starts messages recorded while Temporal was away.
// Notifications (docs/decisions/032-notifications.md) are outgoing messages too: their deliveries
// run on the same queue, with their own sweeper.
import { Client } from '@temporalio/client';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { createMailActivities } from '../activities/mail.ts';
import type { Config } from '../core/config.ts';
import type { Orm } from '../core/db/orm.ts';
import type { Logger } from '../core/log.ts';
import { createMailer, type Mailer } from '../core/mail/mailer.ts';
import { createMailOutbox } from '../core/mail/outbox.ts';
import { createNotificationActivities } from '../activities/notifications.ts';
import type { Vault } from '../core/credentials/vault.ts';
import { createNotifier } from '../core/notifications/notifier.ts';
import { createRetentionActivities } from '../activities/retention.ts';
import { createRetention } from '../core/retention/service.ts';
import { vaultFromConfig } from '../core/platform.ts';

/** Deliveries in flight per worker; each holds a slot for at most one attempt's timeout. */
const MAIL_SLOTS = 50;
const SWEEP_INTERVAL_MS = 30_000;

export interface MailDeliveryOptions {
  connection: NativeConnection;
  namespace: string;
  workflowBundle: { code: string };
  config: Pick<Config, 'smtp' | 'mail' | 'dataDir' | 'env' | 'http' | 'web' | 'secretKey' | 'previousSecretKeys'>;
  orm: Orm;
  logger: Logger;
  /** Tests pass their own; by default built from config (SMTP_URL, or the outbox folder). */
  mailer?: Mailer;
  /** The sweeper's interval; 0 runs no sweeper (tests call sweepOnce themselves). */
  sweepIntervalMs?: number;
  /** Opens notification channels' secrets; by default the configured vault. */
  vault?: Vault;
  /** Counts notification attempts by channel type and outcome (trellis_notifications_total). */
  onNotification?: (channelType: string, outcome: 'sent' | 'failed' | 'retry') => void;
}

export async function startMailDelivery(options: MailDeliveryOptions) {
  const mailer = options.mailer ?? createMailer({ config: options.config, logger: options.logger });
  const temporal = new Client({ connection: options.connection, namespace: options.namespace });
  const outbox = createMailOutbox({ orm: options.orm, temporal, taskQueue: options.config.mail.taskQueue, logger: options.logger });
  const notifier = createNotifier({ orm: options.orm, temporal, taskQueue: options.config.mail.taskQueue, publicUrl: options.config.web.publicUrl, logger: options.logger });
  const worker = await Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.config.mail.taskQueue,
    workflowBundle: options.workflowBundle,
    activities: {
      ...createMailActivities({ orm: options.orm, mailer, logger: options.logger }),
      ...createNotificationActivities({
        orm: options.orm, vault: options.vault ?? vaultFromConfig(options.config, options.logger), mail: outbox, logger: options.logger,
        allowlist: options.config.http.allowlist, ports: options.config.http.ports, onOutcome: options.onNotification,
      }),
      // Housekeeping shares this queue: the retention sweep (docs/decisions/034-backup-and-retention.md).
      ...createRetentionActivities({ retention: createRetention({ orm: options.orm }), logger: options.logger }),
    },
    maxConcurrentActivityTaskExecutions: MAIL_SLOTS,
  });
  const interval = options.sweepIntervalMs ?? SWEEP_INTERVAL_MS;
  const stopSweepers = interval > 0 ? [outbox.startSweeper(interval), notifier.startSweeper(interval)] : [];
  const stopSweeper = () => stopSweepers.forEach((stop) => stop());
  return {
    worker,
    outbox,
    notifier,
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
