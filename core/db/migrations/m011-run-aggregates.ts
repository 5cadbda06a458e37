import { DualMigration } from './dialect.ts';

/**
 * Each workflow's newest run, read for every workflow of a list page, is one probe of
 * (workflow_id, started_at) instead of a sort of all the workflow's runs
 * (docs/decisions/033-failures-and-aggregates.md). Runs per day use (team_id, started_at) from
 * m004, failures (team_id, status, ended_at) from m008.
 */
export class M011RunAggregates extends DualMigration {
  override name = 'm011-run-aggregates';
  readonly sql = {
    sqlite: [
      'create index `run_workflow_id_started_at_index` on `run` (`workflow_id`, `started_at`)',
    ],
    postgresql: [
      'create index "run_workflow_id_started_at_index" on "run" ("workflow_id", "started_at")',
    ],
  };
}
