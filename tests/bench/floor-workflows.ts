// The hand-written workflows the Trellis benchmarks are measured against (tests/bench/floor.ts):
// the same work written directly against the Temporal SDK, with nothing of Trellis.
import { condition, defineUpdate, setHandler } from '@temporalio/workflow';

export interface Order { id: string; items: { price: number }[] }

/** `{id, total}` of an order, computed in the workflow itself (no activity). */
export async function sumOrder(order: Order): Promise<{ id: string; total: number }> {
  return { id: order.id, total: order.items.reduce((sum, item) => sum + item.price, 0) };
}

export const decideUpdate = defineUpdate<string, [string]>('decide');

/** Parks until someone decides through the `decide` update (like a run waiting on an approval). */
export async function parked(id: string): Promise<string> {
  let decision: string | undefined;
  setHandler(decideUpdate, (value: string) => {
    decision = value;
    return `${id}: ${value}`;
  });
  await condition(() => decision !== undefined);
  return decision as string;
}
