// Builds a Trellis worker: the runGraph interpreter plus every activity, on one task queue.
import { NativeConnection, Worker } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.ts';
import { createRunEventSinks } from './sinks.ts';

export interface TrellisWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  workflowBundle: { code: string };
  deps: ActivityDeps;
}

export async function createTrellisWorker(options: TrellisWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    workflowBundle: options.workflowBundle,
    activities: createActivities(options.deps),
    sinks: createRunEventSinks(options.deps.redis, options.deps.logger, options.deps.metrics),
  });
}

/** Connects to Temporal, retrying while it starts up (the dev server takes a few seconds). */
export async function connectWithRetry(address: string, waitMs: number): Promise<NativeConnection> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      return await NativeConnection.connect({ address });
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
