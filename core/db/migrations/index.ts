// Every migration, in order. Listed explicitly (no folder scan) so the same list works under
// Node, jest and a bundled build.
import { M001RunSummary } from './m001-run-summary.ts';

export const migrationsList = [{ name: 'm001-run-summary', class: M001RunSummary }];
