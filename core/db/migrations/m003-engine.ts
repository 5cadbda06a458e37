import { DualMigration } from './dialect.ts';

/** Blob storage for large node outputs, and saved workflows with immutable versions. */
export class M003Engine extends DualMigration {
  override name = 'm003-engine';
  readonly sql = {
    sqlite: [
      'create table `blob` (`id` text not null primary key, `team_id` text not null, `run_id` text not null, `bytes` integer not null, `content` text not null, `created_at` datetime not null)',
      'create index `blob_team_id_index` on `blob` (`team_id`)',
      'create index `blob_run_id_index` on `blob` (`run_id`)',
      'create table `workflow` (`id` text not null primary key, `team_id` text not null, `name` text not null, `description` text null, `latest_version` integer not null, `created_at` datetime not null, `updated_at` datetime not null, `deleted_at` datetime null)',
      'create index `workflow_team_id_index` on `workflow` (`team_id`)',
      'create table `workflow_version` (`workflow_id` text not null, `version` integer not null, `graph` json not null, `created_at` datetime not null, `created_by` text null, primary key (`workflow_id`, `version`))',
    ],
    postgresql: [
      'create table "blob" ("id" varchar(255) not null, "team_id" varchar(255) not null, "run_id" varchar(255) not null, "bytes" int not null, "content" text not null, "created_at" timestamptz not null, primary key ("id"))',
      'create index "blob_team_id_index" on "blob" ("team_id")',
      'create index "blob_run_id_index" on "blob" ("run_id")',
      'create table "workflow" ("id" varchar(255) not null, "team_id" varchar(255) not null, "name" varchar(255) not null, "description" text null, "latest_version" int not null, "created_at" timestamptz not null, "updated_at" timestamptz not null, "deleted_at" timestamptz null, primary key ("id"))',
      'create index "workflow_team_id_index" on "workflow" ("team_id")',
      'create table "workflow_version" ("workflow_id" varchar(255) not null, "version" int not null, "graph" jsonb not null, "created_at" timestamptz not null, "created_by" varchar(255) null, primary key ("workflow_id", "version"))',
    ],
  };
}
