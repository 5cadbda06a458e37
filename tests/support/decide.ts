// Answers an approval by the decide update the way the api does (core/runs/service.ts): an
// update the server refuses for now (the workflow task that carried it failed, e.g. under load)
// is sent again, so tests wait for the state the update reaches, not for a lucky moment.
import type { WorkflowHandle } from '@temporalio/client';
import { withUpdateRetries } from '../../core/runs/service.ts';
import { decide, type DecideInput } from '../../workflows/messages.ts';

export function decideOn(handle: WorkflowHandle, input: DecideInput) {
  return withUpdateRetries(() => handle.executeUpdate(decide, { args: [input] }));
}
