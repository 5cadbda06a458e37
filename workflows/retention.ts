// `retentionSweep` (docs/decisions/034-backup-and-retention.md), fired by the `trellis-retention`
// schedule: batches of deletions until nothing expired is left, at most MAX_BATCHES per firing
// (the next firing carries on), so one firing's history stays small.
import { proxyActivities } from '@temporalio/workflow';
import type { RetentionActivities, SweepReport } from '../activities/retention.ts';

const { sweepRetention } = proxyActivities<RetentionActivities>({
  startToCloseTimeout: '5m',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: 5 },
});

const MAX_BATCHES = 200;

export async function retentionSweep(): Promise<{ batches: number; deleted: Record<string, number> }> {
  const deleted: Record<string, number> = {};
  let batches = 0;
  let report: SweepReport;
  do {
    report = await sweepRetention();
    batches += 1;
    for (const [key, value] of Object.entries(report)) {
      if (key !== 'more' && typeof value === 'number') deleted[key] = (deleted[key] ?? 0) + value;
    }
  } while (report.more && batches < MAX_BATCHES);
  return { batches, deleted };
}
