import { DualMigration } from './dialect.ts';

/** Credentials vault, webhooks and their deliveries, run idempotency keys, schedules; run usage columns. */
export class M004Triggers extends DualMigration {
  override name = 'm004-triggers';
  readonly sql = {
    sqlite: [
      'alter table `run` add column `input` text null',
      'alter table `run` add column `triggered_by` text null',
      'alter table `run` add column `ai_tokens` integer not null default 0',
      'alter table `run` add column `cost_usd` real not null default 0',
      'alter table `run` add column `node_executions` integer not null default 0',
      'create index `run_team_id_started_at_index` on `run` (`team_id`, `started_at`)',
      'create table `credential` (`id` text not null primary key, `team_id` text not null, `name` text not null, `type` text not null, `key_id` text not null, `secret` text not null, `created_at` datetime not null, `created_by` text null)',
      'create index `credential_team_id_index` on `credential` (`team_id`)',
      'create unique index `credential_team_id_name_unique` on `credential` (`team_id`, `name`)',
      'create table `run_idempotency` (`team_id` text not null, `key` text not null, `run_id` text not null, `created_at` datetime not null, primary key (`team_id`, `key`))',
      'create table `schedule` (`id` text not null primary key, `team_id` text not null, `workflow_id` text not null, `cron` text not null, `timezone` text not null, `input` text null, `created_at` datetime not null, `created_by` text null)',
      'create index `schedule_team_id_index` on `schedule` (`team_id`)',
      'create index `schedule_workflow_id_index` on `schedule` (`workflow_id`)',
      'create table `webhook_delivery` (`webhook_id` text not null, `delivery_id` text not null, `run_id` text not null, `created_at` datetime not null, primary key (`webhook_id`, `delivery_id`))',
      'create table `webhook` (`id` text not null primary key, `team_id` text not null, `workflow_id` text not null, `key_id` text not null, `secret` text not null, `created_at` datetime not null, `created_by` text null)',
      'create index `webhook_team_id_index` on `webhook` (`team_id`)',
      'create index `webhook_workflow_id_index` on `webhook` (`workflow_id`)',
    ],
    postgresql: [
      'alter table "run" add column "input" text null',
      'alter table "run" add column "triggered_by" varchar(255) null',
      'alter table "run" add column "ai_tokens" int not null default 0',
      'alter table "run" add column "cost_usd" double precision not null default 0',
      'alter table "run" add column "node_executions" int not null default 0',
      'create index "run_team_id_started_at_index" on "run" ("team_id", "started_at")',
      'create table "credential" ("id" varchar(255) not null, "team_id" varchar(255) not null, "name" varchar(255) not null, "type" varchar(255) not null, "key_id" varchar(255) not null, "secret" text not null, "created_at" timestamptz not null, "created_by" varchar(255) null, primary key ("id"))',
      'create index "credential_team_id_index" on "credential" ("team_id")',
      'alter table "credential" add constraint "credential_team_id_name_unique" unique ("team_id", "name")',
      'create table "run_idempotency" ("team_id" varchar(255) not null, "key" varchar(255) not null, "run_id" varchar(255) not null, "created_at" timestamptz not null, primary key ("team_id", "key"))',
      'create table "schedule" ("id" varchar(255) not null, "team_id" varchar(255) not null, "workflow_id" varchar(255) not null, "cron" varchar(255) not null, "timezone" varchar(255) not null, "input" text null, "created_at" timestamptz not null, "created_by" varchar(255) null, primary key ("id"))',
      'create index "schedule_team_id_index" on "schedule" ("team_id")',
      'create index "schedule_workflow_id_index" on "schedule" ("workflow_id")',
      'create table "webhook_delivery" ("webhook_id" varchar(255) not null, "delivery_id" varchar(255) not null, "run_id" varchar(255) not null, "created_at" timestamptz not null, primary key ("webhook_id", "delivery_id"))',
      'create table "webhook" ("id" varchar(255) not null, "team_id" varchar(255) not null, "workflow_id" varchar(255) not null, "key_id" varchar(255) not null, "secret" text not null, "created_at" timestamptz not null, "created_by" varchar(255) null, primary key ("id"))',
      'create index "webhook_team_id_index" on "webhook" ("team_id")',
      'create index "webhook_workflow_id_index" on "webhook" ("workflow_id")',
    ],
  };
}
