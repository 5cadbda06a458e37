import { DualMigration } from './dialect.ts';

/**
 * Runs queue before they start (docs/decisions/028-admission-queue.md) and keep their final
 * state in the database (docs/decisions/029-lean-run-path.md):
 * - `priority` 1–5 (1 first); `dispatched_at` is set when the run leaves the queue for Temporal
 *   (null while `status` is "queued"); the queue is read by (status, team, priority, age);
 * - `state`: the run's final state as JSON (nodes, output, error, usage), written once when it
 *   ends, so a finished run is read without asking Temporal;
 * - `error_node_id` and `error_code`: where and how a failed run failed, grouped by the
 *   failures view.
 * Existing rows were all dispatched when they were written.
 */
export class M008RunQueue extends DualMigration {
  override name = 'm008-run-queue';
  readonly sql = {
    sqlite: [
      'alter table `run` add column `priority` integer not null default 3',
      'alter table `run` add column `dispatched_at` datetime null',
      'alter table `run` add column `state` text null',
      'alter table `run` add column `error_node_id` text null',
      'alter table `run` add column `error_code` text null',
      'update `run` set `dispatched_at` = `started_at`',
      'create index `run_status_team_id_priority_started_at_index` on `run` (`status`, `team_id`, `priority`, `started_at`)',
      'create index `run_team_id_status_ended_at_index` on `run` (`team_id`, `status`, `ended_at`)',
    ],
    postgresql: [
      'alter table "run" add column "priority" int not null default 3',
      'alter table "run" add column "dispatched_at" timestamptz null',
      'alter table "run" add column "state" text null',
      'alter table "run" add column "error_node_id" varchar(255) null',
      'alter table "run" add column "error_code" varchar(255) null',
      'update "run" set "dispatched_at" = "started_at"',
      'create index "run_status_team_id_priority_started_at_index" on "run" ("status", "team_id", "priority", "started_at")',
      'create index "run_team_id_status_ended_at_index" on "run" ("team_id", "status", "ended_at")',
    ],
  };
}
