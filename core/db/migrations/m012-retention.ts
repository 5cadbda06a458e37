import { DualMigration } from './dialect.ts';

/**
 * The retention sweep (core/retention/service.ts) finds old rows by time: without these indexes
 * each batch would read the whole table (docs/decisions/034-backup-and-retention.md). Runs use
 * (team_id, status, ended_at) from m008; sessions, email tokens and invitations are small.
 */
export class M012Retention extends DualMigration {
  override name = 'm012-retention';
  readonly sql = {
    sqlite: [
      'create index `blob_created_at_index` on `blob` (`created_at`)',
      'create index `login_event_created_at_index` on `login_event` (`created_at`)',
      'create index `webhook_delivery_created_at_index` on `webhook_delivery` (`created_at`)',
      'create index `webhook_delivery_run_id_index` on `webhook_delivery` (`run_id`)',
      'create index `run_idempotency_created_at_index` on `run_idempotency` (`created_at`)',
      'create index `run_idempotency_run_id_index` on `run_idempotency` (`run_id`)',
    ],
    postgresql: [
      'create index "blob_created_at_index" on "blob" ("created_at")',
      'create index "login_event_created_at_index" on "login_event" ("created_at")',
      'create index "webhook_delivery_created_at_index" on "webhook_delivery" ("created_at")',
      'create index "webhook_delivery_run_id_index" on "webhook_delivery" ("run_id")',
      'create index "run_idempotency_created_at_index" on "run_idempotency" ("created_at")',
      'create index "run_idempotency_run_id_index" on "run_idempotency" ("run_id")',
    ],
  };
}
