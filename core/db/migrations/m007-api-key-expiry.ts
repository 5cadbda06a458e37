import { DualMigration } from './dialect.ts';

/**
 * API keys expire (docs/decisions/024-api-key-lifetime.md). Existing keys keep no expiry, but the
 * ones whose creator is no longer an admin or owner of the key's team are revoked now, as they
 * would have been had the rule existed when the creator left or was demoted.
 */
export class M007ApiKeyExpiry extends DualMigration {
  override name = 'm007-api-key-expiry';
  readonly sql = {
    // SQLite rows hold datetimes as epoch milliseconds (the ORM's mapping).
    sqlite: [
      'alter table `api_key` add column `expires_at` datetime null',
      "update `api_key` set `revoked_at` = cast(strftime('%s', 'now') as integer) * 1000 where `revoked_at` is null and not exists (select 1 from `membership` where `membership`.`team_id` = `api_key`.`team_id` and `membership`.`user_id` = `api_key`.`created_by_id` and `membership`.`role` in ('owner', 'admin'))",
    ],
    postgresql: [
      'alter table "api_key" add column "expires_at" timestamptz null',
      `update "api_key" set "revoked_at" = now() where "revoked_at" is null and not exists (select 1 from "membership" where "membership"."team_id" = "api_key"."team_id" and "membership"."user_id" = "api_key"."created_by_id" and "membership"."role" in ('owner', 'admin'))`,
    ],
  };
}
