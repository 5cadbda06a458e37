// Starts tests/bench/floor.ts (the hand-written Temporal worker + its HTTP endpoint) as a child
// process on a given Temporal server, and waits until it is ready.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DefaultLogger, bundleWorkflowCode } from '@temporalio/worker';
import { ROOT, freePort, launch, type Service } from '../../infra/scripts/services.ts';

export interface Floor { url: string; taskQueue: string; pid: number; service: Service; stop(): Promise<void> }

export async function startFloor(dir: string, temporalAddress: string, nodeArgs: string[] = []): Promise<Floor> {
  const port = await freePort();
  const taskQueue = `floor-${port}`;
  let ready = () => undefined as void;
  const readyNow = new Promise<void>((resolve) => (ready = resolve));
  const logFile = join(dir, 'floor.log');
  // Bundled here, like the Trellis worker's bundle (stack.ts): no bundler garbage in the worker.
  const bundle = join(dir, 'floor-bundle.js');
  const { code } = await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./floor-workflows.ts', import.meta.url)), logger: new DefaultLogger('ERROR') });
  writeFileSync(bundle, code);
  const service = launch('floor', process.execPath, [...nodeArgs, 'tests/bench/floor.ts'], {
    logFile, cwd: ROOT,
    env: { ...process.env, FLOOR_TEMPORAL: temporalAddress, FLOOR_PORT: String(port), FLOOR_TASK_QUEUE: taskQueue, FLOOR_BUNDLE: bundle },
    onLine: (line) => line.trim() === 'ready' && ready(),
  });
  await Promise.race([readyNow, service.exited.then(() => Promise.reject(new Error(`the floor process exited (log: ${logFile})`)))]);
  return { url: `http://127.0.0.1:${port}/sum`, taskQueue, pid: service.process.pid as number, service, stop: () => service.stop() };
}
