// @lane unit
// The pure parts of the client and CLI: the SSE parser (split chunks, CRLF, comments, ids,
// retry), workflow files (stable key order, JSON and YAML reading, refusals naming the field),
// node-level graph diffs, default-filled comparison, and webhook signatures that the api's own
// verifier accepts.
import { rmSync } from 'node:fs';
import { parseEventStream, type SseMessage } from '../../clients/typescript/index.ts';
import { curlFor, shellQuote, signDelivery } from '../../clients/cli/commands/webhooks.ts';
import { UsageError } from '../../clients/cli/output.ts';
import {
  canonical, changesBetween, diffGraphs, fileNameFor, loadWorkflowFiles, parseWorkflowFile, serialize, type WorkflowFile,
} from '../../clients/cli/workflow-files.ts';
import { verifySignature } from '../../core/webhooks/service.ts';
import { tempTree } from '../support/temp-tree.ts';

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
}

async function collect(chunks: string[], control: { retryMs?: number } = {}): Promise<SseMessage[]> {
  const messages: SseMessage[] = [];
  for await (const message of parseEventStream(streamOf(chunks), control)) messages.push(message);
  return messages;
}

describe('SSE parser', () => {
  it('reassembles events split anywhere, skips comments and keeps the last id', async () => {
    const control: { retryMs?: number } = {};
    const messages = await collect([
      ': keep-alive\n\nid: 1\nevent: snap', 'shot\ndata: {"a":', '1}\n\n',
      'id: 2\r\nevent: node\r\ndata: line one\r\ndata: line two\r\n\r\n',
      'retry: 1000\n\nevent: run\ndata: {}\n\n', 'event: unfinished\ndata: x',
    ], control);
    expect(messages).toEqual([
      { event: 'snapshot', data: '{"a":1}', id: '1' },
      { event: 'node', data: 'line one\nline two', id: '2' },
      { event: 'run', data: '{}', id: '2' },
    ]);
    expect(control.retryMs).toBe(1000);
  });

  it('names an event without a type "message" and ignores a block without data', async () => {
    expect(await collect(['event: lonely\n\ndata: plain\n\n'])).toEqual([{ event: 'message', data: 'plain', id: undefined }]);
  });
});

const GRAPH = {
  nodes: [
    { id: 'a', type: 'transform', config: { expression: '1' } },
    { id: 'b', type: 'output', config: { value: '{{ steps.a.output }}' } },
  ],
  edges: [{ from: 'a', to: 'b' }],
};
const FILE: WorkflowFile = { name: 'Demo', description: null, tool: null, graph: GRAPH };

describe('workflow files', () => {
  it('writes keys in a stable order whatever order they came in', () => {
    const shuffled = { graph: { edges: GRAPH.edges, nodes: [{ config: { z: 1, a: 2 }, type: 'transform', id: 'a' }] }, tool: null, description: 'd', name: 'n' };
    expect(JSON.stringify(canonical(shuffled))).toBe('{"name":"n","description":"d","tool":null,"graph":{"nodes":[{"id":"a","type":"transform","config":{"a":2,"z":1}}],"edges":[{"from":"a","to":"b"}]}}');
    expect(serialize(FILE, 'yaml')).toMatch(/^name: Demo\ndescription: null\ntool: null\ngraph:\n {2}nodes:\n {4}- id: a\n {6}type: transform\n/);
  });

  it('reads JSON and YAML back to the same workflow', () => {
    expect(parseWorkflowFile('demo.json', serialize(FILE, 'json'))).toEqual(FILE);
    expect(parseWorkflowFile('demo.yaml', serialize(FILE, 'yaml'))).toEqual(FILE);
  });

  it('refuses a file without a name or nodes, naming the field and the file', () => {
    expect(() => parseWorkflowFile('x.json', '{"graph": {"nodes": [{}]}}')).toThrow(/x\.json: name: must be a non-empty string; graph\.nodes: every node needs a string id/);
    expect(() => parseWorkflowFile('x.yaml', 'name: [')).toThrow(UsageError);
  });

  it('refuses two files defining the same workflow', () => {
    const dir = tempTree('trellis-files-', { 'one.json': serialize(FILE, 'json'), 'two.yaml': serialize(FILE, 'yaml'), 'notes.txt': 'ignored' });
    try {
      expect(() => loadWorkflowFiles([dir])).toThrow(/one\.json and .*two\.yaml both define the workflow "Demo"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names files after workflows, without clashes', () => {
    const taken = new Set<string>();
    expect([fileNameFor('Order total', 'json', taken), fileNameFor('Order  Total!', 'json', taken), fileNameFor('Café ✓', 'yaml', taken), fileNameFor('✓', 'json', taken)])
      .toEqual(['order-total.json', 'order-total-2.json', 'cafe.yaml', 'workflow.json']);
  });
});

describe('graph diff', () => {
  it('lists added, removed and changed nodes with the changed fields, and edges', () => {
    const after = {
      nodes: [{ id: 'a', type: 'transform', config: { expression: '2' } }, { id: 'c', type: 'delay', config: { duration: '1s' } }],
      edges: [{ from: 'a', to: 'c' }],
    };
    expect(diffGraphs(GRAPH, after)).toEqual({
      nodes: [
        { id: 'a', change: 'changed', type: 'transform', fields: [{ path: 'config.expression', before: '1', after: '2' }] },
        { id: 'c', change: 'added', type: 'delay' },
        { id: 'b', change: 'removed', type: 'output' },
      ],
      edges: [{ change: 'added', edge: 'a -> c' }, { change: 'removed', edge: 'a -> b' }],
      settings: false,
      reordered: false,
    });
  });

  it('sees no change when only defaults, key order or an empty description differ', () => {
    const stored = { ...GRAPH, nodes: GRAPH.nodes.map((n) => ({ ...n, onError: 'fail' })) };
    const written = { nodes: [...GRAPH.nodes].map((n) => Object.fromEntries(Object.entries(n).reverse())) as typeof GRAPH.nodes, edges: GRAPH.edges };
    expect(changesBetween({ ...FILE, graph: written, description: '' }, { ...FILE, graph: stored })).toEqual({ graph: false, description: false, tool: false });
    expect(changesBetween({ ...FILE, tool: { name: 't', description: 'd', inputSchema: {} } }, FILE)).toEqual({ graph: false, description: false, tool: true });
  });

  it('notices a change of node order alone', () => {
    const diff = diffGraphs(GRAPH, { ...GRAPH, nodes: [...GRAPH.nodes].reverse() });
    expect(diff).toMatchObject({ nodes: [], edges: [], reordered: true });
  });
});

describe('webhook signing', () => {
  it('signs deliveries the api verifies, and quotes any body for the shell', () => {
    const body = `{"note":"it's \\"quoted\\" $HOME \`x\`"}`;
    const signed = signDelivery({ url: 'http://localhost:3000/hooks/wh_1', secret: 'whsec_test', body, priority: 2 });
    expect(() => verifySignature('whsec_test', signed.headers['X-Trellis-Signature'], Buffer.from(body))).not.toThrow();
    expect(() => verifySignature('whsec_other', signed.headers['X-Trellis-Signature'], Buffer.from(body))).toThrow();
    expect(signed.headers['X-Trellis-Priority']).toBe('2');
    expect(curlFor(signed)).toContain(`--data-binary ${shellQuote(body)}`);
    expect(shellQuote("a'b")).toBe(`'a'\\''b'`);
  });
});
