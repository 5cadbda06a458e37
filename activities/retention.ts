// The retention sweep's one activity (docs/decisions/034-backup-and-retention.md): one batch of
// every retention rule. Registered by the housekeeping worker on the mail task queue (worker/mail.ts).
import type { Logger } from '../core/log.ts';
import type { Retention, SweepReport } from '../core/retention/service.ts';

export type { SweepReport };

export function createRetentionActivities(deps: { retention: Retention; logger: Logger; batchSize?: number }) {
  return {
    async sweepRetention(): Promise<SweepReport> {
      const report = await deps.retention.sweep({ batchSize: deps.batchSize });
      const deleted = Object.entries(report).filter(([key, value]) => key !== 'more' && value);
      if (deleted.length) deps.logger.info({ ...Object.fromEntries(deleted), more: report.more }, 'retention: deleted expired rows');
      return report;
    },
  };
}

export type RetentionActivities = ReturnType<typeof createRetentionActivities>;
