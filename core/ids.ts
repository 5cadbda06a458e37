// The one way core/ makes a row id: a type prefix and 120 random bits, base32 (`wf_…`, `usr_…`).
// Ids are opaque to clients (the contract says string); the prefix tells a person what an id names.
// Run ids (`run_` + 32 hex, core/runs/start-run.ts newRunId) are Temporal workflow ids recorded in
// histories and keep their own form.
import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';

/** An opaque id with a type prefix, e.g. `usr_…` (120 random bits, 24 base32 characters). */
export function newId(prefix: string): string {
  const buffer = new Uint8Array(15);
  crypto.getRandomValues(buffer);
  return `${prefix}_${encodeBase32LowerCaseNoPadding(buffer)}`;
}
