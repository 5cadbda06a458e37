// A real Trellis worker on its own task queue, for integration tests.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { Orm } from '../../core/db/orm.ts';
import { createBlobStore } from '../../core/blobs/store.ts';
import { createLogger } from '../../core/log.ts';
import { ROOT } from '../../infra/scripts/services.ts';
import { loadWorkflowBundle } from '../../worker/bundle.ts';
import { createTrellisWorker } from '../../worker/worker.ts';

export const BUNDLE_CACHE = join(ROOT, 'node_modules', '.cache', 'trellis');

// The SDK logs worker state changes at INFO to the console; tests only need warnings.
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  // already installed in this module registry
}

export async function startTestWorker(options: { address: string; orm: Orm; taskQueue?: string; blobThresholdBytes?: number }) {
  const logger = createLogger({ level: 'silent', service: 'test-worker' });
  const taskQueue = options.taskQueue ?? `test-${randomUUID()}`;
  const connection = await NativeConnection.connect({ address: options.address });
  const worker = await createTrellisWorker({
    connection,
    namespace: 'default',
    taskQueue,
    workflowBundle: await loadWorkflowBundle(BUNDLE_CACHE, logger),
    deps: { orm: options.orm, logger, blobs: createBlobStore(options.orm, { maxBytes: 50 * 1024 * 1024 }), blobThresholdBytes: options.blobThresholdBytes ?? 65_536 },
  });
  const running = worker.run();
  return {
    taskQueue,
    async stop() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
