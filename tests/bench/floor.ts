// The floor of the webhook benchmark: a hand-written Temporal workflow (floor-workflows.ts) behind
// the smallest HTTP server, client and worker in one process: POST /sum with an order answers
// `{id, total}` once the workflow has completed (start + wait for the result). It also serves the
// parked workflows of parked.bench.ts. Started by the benchmarks as a child process:
//   FLOOR_TEMPORAL=127.0.0.1:7233 FLOOR_PORT=… FLOOR_TASK_QUEUE=… node tests/bench/floor.ts
// It prints `ready` on stdout once its worker polls.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { Order } from './floor-workflows.ts';

const address = process.env.FLOOR_TEMPORAL as string;
const taskQueue = process.env.FLOOR_TASK_QUEUE as string;
Runtime.install({ logger: new DefaultLogger('ERROR') });
// FLOOR_BUNDLE: the bundle built by the parent (floor-process.ts); else built here.
const bundle = process.env.FLOOR_BUNDLE
  ? { code: readFileSync(process.env.FLOOR_BUNDLE, 'utf8') }
  : await bundleWorkflowCode({ workflowsPath: fileURLToPath(new URL('./floor-workflows.ts', import.meta.url)), logger: new DefaultLogger('ERROR') });
// Default worker options, like the Trellis worker (worker/worker.ts).
const worker = await Worker.create({ connection: await NativeConnection.connect({ address }), namespace: 'default', taskQueue, workflowBundle: bundle });
const running = worker.run();
const client = new Client({ connection: await Connection.connect({ address }), namespace: 'default' });

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    void (async () => {
      try {
        const order = JSON.parse(Buffer.concat(chunks).toString()) as Order;
        const result = await client.workflow.execute('sumOrder', { taskQueue, workflowId: `sum-${randomUUID()}`, args: [order] });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
      } catch (error) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      }
    })();
  });
});
server.listen(Number(process.env.FLOOR_PORT), '127.0.0.1', () => console.log('ready'));
process.on('SIGTERM', () => {
  server.close();
  worker.shutdown();
  void running.then(() => process.exit(0));
});
