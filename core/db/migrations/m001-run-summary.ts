import { DualMigration } from './dialect.ts';

export class M001RunSummary extends DualMigration {
  override name = 'm001-run-summary';
  readonly sql = {
    sqlite: [
      'create table `run` (`id` text not null primary key, `team_id` text not null, `workflow_id` text not null, `version` integer not null, `trigger` text not null, `status` text not null, `started_at` datetime not null, `ended_at` datetime null, `error` text null)',
      'create index `run_team_id_index` on `run` (`team_id`)',
      'create index `run_workflow_id_index` on `run` (`workflow_id`)',
    ],
    postgresql: [
      'create table "run" ("id" varchar(255) not null, "team_id" varchar(255) not null, "workflow_id" varchar(255) not null, "version" int not null, "trigger" varchar(255) not null, "status" varchar(255) not null, "started_at" timestamptz not null, "ended_at" timestamptz null, "error" text null, primary key ("id"))',
      'create index "run_team_id_index" on "run" ("team_id")',
      'create index "run_workflow_id_index" on "run" ("workflow_id")',
    ],
  };
}
