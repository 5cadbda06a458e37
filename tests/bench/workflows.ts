// Workflows of the interpreter benchmark: the interpreter itself, and hand-written workflows that
// call the same activities directly (the baseline it is measured against).
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../activities/index.ts';
import type { HttpConfig } from '../../workflows/graph/nodes/http.ts';

export { runGraph } from '../../workflows/run-graph.ts';

const { httpRequest, recordRunStarted, recordRunFinished } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { maximumAttempts: 3 },
});

function config(url: string): HttpConfig {
  return { method: 'GET', url, bodyType: 'json', responseType: 'auto', maxResponseBytes: 10 * 1024 * 1024 };
}

async function around<T>(body: () => Promise<T>): Promise<T> {
  const { workflowId } = workflowInfo();
  const startedAt = new Date().toISOString();
  await recordRunStarted({ runId: workflowId, teamId: 'bench', workflowId: 'handwritten', version: 1, trigger: 'api', startedAt });
  const result = await body();
  await recordRunFinished({ runId: workflowId, status: 'succeeded', endedAt: new Date().toISOString() });
  return result;
}

export async function handwrittenLinear(url: string, length: number): Promise<unknown> {
  return around(async () => {
    let last: unknown;
    for (let i = 0; i < length; i++) {
      last = await httpRequest({ config: config(`${url}?step=${i}`), call: { runId: workflowInfo().workflowId, teamId: 'bench', nodeId: `n${i}`, iteration: 0 } });
    }
    return last;
  });
}

export async function handwrittenFanOut(url: string, width: number): Promise<unknown> {
  return around(async () => {
    const results = await Promise.all(
      Array.from({ length: width }, (_, i) => httpRequest({ config: config(`${url}?branch=${i}`), call: { runId: workflowInfo().workflowId, teamId: 'bench', nodeId: `b${i}`, iteration: 0 } })),
    );
    return results.length;
  });
}
