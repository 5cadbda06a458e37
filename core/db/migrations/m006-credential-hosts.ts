import { DualMigration } from './dialect.ts';

/**
 * Credentials bound to the hosts they may be sent to (docs/decisions/021-credential-hosts.md):
 * existing rows get none, so the http node refuses them until an admin sets their hosts.
 * Accepted webhook signatures, remembered while they are valid, so a replay starts no second run.
 */
export class M006CredentialHosts extends DualMigration {
  override name = 'm006-credential-hosts';
  readonly sql = {
    sqlite: [
      'alter table `credential` add column `allowed_hosts` json null',
      'create table `webhook_signature` (`webhook_id` text not null, `signature` text not null, `run_id` text not null, `expires_at` datetime not null, primary key (`webhook_id`, `signature`))',
      'create index `webhook_signature_expires_at_index` on `webhook_signature` (`expires_at`)',
    ],
    postgresql: [
      'alter table "credential" add column "allowed_hosts" jsonb null',
      'create table "webhook_signature" ("webhook_id" varchar(255) not null, "signature" varchar(255) not null, "run_id" varchar(255) not null, "expires_at" timestamptz not null, primary key ("webhook_id", "signature"))',
      'create index "webhook_signature_expires_at_index" on "webhook_signature" ("expires_at")',
    ],
  };
}
