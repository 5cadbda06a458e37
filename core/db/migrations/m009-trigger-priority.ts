import { DualMigration } from './dialect.ts';

/**
 * Runs queue by priority (docs/decisions/028-admission-queue.md), and every trigger names one:
 * - `webhook.priority` and `schedule.priority` (1–5, default 3): the priority of the runs they
 *   start (a webhook request may override its own with X-Trellis-Priority);
 * - `schedule.version`: a pinned workflow version (null: the latest when the schedule fires);
 * - `run.seed`: the node states a rerun from a node reuses, kept on the queued row until the
 *   dispatcher starts its workflow.
 */
export class M009TriggerPriority extends DualMigration {
  override name = 'm009-trigger-priority';
  readonly sql = {
    sqlite: [
      'alter table `webhook` add column `priority` integer not null default 3',
      'alter table `schedule` add column `priority` integer not null default 3',
      'alter table `schedule` add column `version` integer null',
      'alter table `run` add column `seed` text null',
    ],
    postgresql: [
      'alter table "webhook" add column "priority" int not null default 3',
      'alter table "schedule" add column "priority" int not null default 3',
      'alter table "schedule" add column "version" int null',
      'alter table "run" add column "seed" text null',
    ],
  };
}
