import { DualMigration } from './dialect.ts';

/** Notification channels and their delivery log (core/notifications/entities.ts, docs/decisions/032-notifications.md). */
export class M010Notifications extends DualMigration {
  override name = 'm010-notifications';
  readonly sql = {
    sqlite: [
      'create table `notification_channel` (`id` text not null primary key, `team_id` text not null, `name` text not null, `type` text not null, `config` json not null, `events` json not null, `workflow_ids` json null, `key_id` text null, `secret` text null, `created_at` datetime not null, `created_by` text null)',
      'create index `notification_channel_team_id_index` on `notification_channel` (`team_id`)',
      'create table `notification_delivery` (`id` text not null primary key, `channel_id` text not null, `team_id` text not null, `event` text not null, `dedupe_key` text not null, `payload` json not null, `status` text not null, `attempts` integer not null default 0, `last_error` text null, `created_at` datetime not null, `dispatched_at` datetime null, `sent_at` datetime null, `updated_at` datetime not null)',
      'create unique index `notification_delivery_channel_id_dedupe_key_unique` on `notification_delivery` (`channel_id`, `dedupe_key`)',
      'create index `notification_delivery_channel_id_created_at_index` on `notification_delivery` (`channel_id`, `created_at`)',
      'create index `notification_delivery_status_dispatched_at_index` on `notification_delivery` (`status`, `dispatched_at`)',
      'create index `notification_delivery_created_at_index` on `notification_delivery` (`created_at`)',
    ],
    postgresql: [
      'create table "notification_channel" ("id" varchar(255) not null, "team_id" varchar(255) not null, "name" varchar(255) not null, "type" varchar(16) not null, "config" jsonb not null, "events" jsonb not null, "workflow_ids" jsonb null, "key_id" varchar(255) null, "secret" text null, "created_at" timestamptz not null, "created_by" varchar(255) null, primary key ("id"))',
      'create index "notification_channel_team_id_index" on "notification_channel" ("team_id")',
      'create table "notification_delivery" ("id" varchar(255) not null, "channel_id" varchar(255) not null, "team_id" varchar(255) not null, "event" varchar(32) not null, "dedupe_key" varchar(255) not null, "payload" jsonb not null, "status" varchar(16) not null, "attempts" int not null default 0, "last_error" text null, "created_at" timestamptz not null, "dispatched_at" timestamptz null, "sent_at" timestamptz null, "updated_at" timestamptz not null, primary key ("id"))',
      'create unique index "notification_delivery_channel_id_dedupe_key_unique" on "notification_delivery" ("channel_id", "dedupe_key")',
      'create index "notification_delivery_channel_id_created_at_index" on "notification_delivery" ("channel_id", "created_at")',
      'create index "notification_delivery_status_dispatched_at_index" on "notification_delivery" ("status", "dispatched_at")',
      'create index "notification_delivery_created_at_index" on "notification_delivery" ("created_at")',
    ],
  };
}
