// `RECORD_HISTORIES=1 npm test -- tests/workflows/run-graph.test.ts` refreshes the replay fixtures
// from real runs (tests/workflows/replay.test.ts replays them in every `npm test`).
import { writeFileSync } from 'node:fs';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';
import type { WorkflowHandle } from '@temporalio/client';

export async function recordHistory(handle: WorkflowHandle, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  const history = await handle.fetchHistory();
  writeFileSync(new URL(`../fixtures/histories/${name}.json`, import.meta.url), historyToJSON(history) + '\n');
}
