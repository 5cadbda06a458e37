// The dev server keeps history in its SQLite file: a finished run is still there after a restart.
import { join } from 'node:path';
import { createOrm, migrate, type Orm } from '../../core/db/orm.ts';
import { createTemporalClient } from '../../core/temporal.ts';
import { HELLO_GRAPH } from '../../core/runs/hello-graph.ts';
import { startRun } from '../../core/runs/start-run.ts';
import { SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.ts';
import { freePort, startTemporalDevServer } from '../../infra/scripts/services.ts';
import { tempDir } from '../support/env.ts';
import { startTestWorker } from '../support/worker.ts';

describe('Temporal dev server restart', () => {
  let orm: Orm;
  beforeAll(async () => {
    orm = await createOrm(`sqlite:${join(tempDir('db'), 'app.sqlite')}`);
    await migrate(orm);
  });
  afterAll(async () => {
    await orm.close();
  });

  it('keeps a finished run visible with its result after a restart on the same db file', async () => {
    const dir = tempDir('temporal');
    const port = await freePort();
    const options = { port, dbFile: join(dir, 'temporal.db'), searchAttributes: SEARCH_ATTRIBUTES, logFile: join(dir, 'temporal.log') };
    const address = `127.0.0.1:${port}`;

    let server = await startTemporalDevServer(options);
    const worker = await startTestWorker({ address, orm });
    let client = await createTemporalClient({ address, namespace: 'default' });
    const { runId } = await startRun(client, { taskQueue: worker.taskQueue, blobThresholdBytes: 65_536, maxConcurrency: 10 }, {
      graph: HELLO_GRAPH, version: 1, input: { name: 'restart' }, teamId: 't1', workflowId: 'w1', trigger: 'api',
    });
    const before = await client.workflow.getHandle(runId).result();
    await worker.stop();
    await client.connection.close();
    await server.stop();

    server = await startTemporalDevServer(options);
    try {
      client = await createTemporalClient({ address, namespace: 'default' });
      const handle = client.workflow.getHandle(runId);
      const description = await handle.describe();
      expect(description.status.name).toBe('COMPLETED');
      expect(await handle.result()).toEqual(before);
      expect(before).toMatchObject({ status: 'succeeded', output: { greeting: 'Hello, restart!' } });
      // Listing by the search attributes still finds it.
      const listed = [];
      for await (const run of client.workflow.list({ query: `TeamId = "t1" AND TrellisWorkflowId = "w1"` })) listed.push(run.workflowId);
      expect(listed).toContain(runId);
      await client.connection.close();
    } finally {
      await server.stop();
    }
  });
});
