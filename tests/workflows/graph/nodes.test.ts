// @lane unit
// Node types one by one: a valid config is accepted with its defaults applied, a bad one is
// refused with the path of the field, and the ports are what edges may use.
import { NODE_TYPES, outputPorts, type NodeType } from '../../../workflows/graph/registry.ts';
import { durationMs } from '../../../workflows/graph/nodes/common.ts';
import { parseGraph, validate, type GraphProblem } from '../../../workflows/graph/validate.ts';
import type { Node } from '../../../workflows/graph/schema.ts';

/** Parses a one-node graph and returns the node, defaults applied. */
function parseNode(type: string, config: unknown, extra: Record<string, unknown> = {}): Node {
  const parsed = parseGraph({ nodes: [{ id: 'n', type, config, ...extra }] });
  if ('problems' in parsed) throw new Error(JSON.stringify(parsed.problems));
  return parsed.graph.nodes[0] as Node;
}

/** Problems of a one-node graph, as "path: message". */
function problems(type: string, config: unknown, extra: Record<string, unknown> = {}): string[] {
  return validate({ nodes: [{ id: 'n', type, config, ...extra }] }).map((p: GraphProblem) => `${p.path}: ${p.message}`);
}

const cases: Record<NodeType, { minimal: unknown; defaults: Record<string, unknown>; bad: unknown; expected: string[]; ports: string[] }> = {
  http: {
    minimal: { url: 'https://example.com/{{ input.id }}' },
    defaults: { method: 'GET', bodyType: 'json', responseType: 'auto', maxResponseBytes: 10 * 1024 * 1024 },
    bad: { url: '', method: 'SEND', headers: { 'X-N': 5 }, maxResponseBytes: 0 },
    expected: [
      'nodes.0.config.method: Invalid option: expected one of "GET"|"POST"|"PUT"|"PATCH"|"DELETE"|"HEAD"',
      'nodes.0.config.url: Too small: expected string to have >=1 characters',
      'nodes.0.config.headers.X-N: Invalid input: expected string, received number',
      'nodes.0.config.maxResponseBytes: Too small: expected number to be >=1',
    ],
    ports: ['out'],
  },
  ai: {
    minimal: { prompt: 'Summarize {{ input.text }}' },
    defaults: { model: 'gpt-4o-mini', cache: false },
    bad: { prompt: 'x', temperature: -1, maxTokens: 1.5, jsonSchema: 'object' },
    expected: [
      'nodes.0.config.temperature: Too small: expected number to be >=0',
      'nodes.0.config.maxTokens: Invalid input: expected int, received number',
      'nodes.0.config.jsonSchema: Invalid input: expected record, received string',
    ],
    ports: ['out'],
  },
  agent: {
    minimal: { prompt: 'Answer {{ input.question }}' },
    defaults: { model: 'gpt-4o-mini', maxSteps: 8, tools: [] },
    bad: {
      prompt: 'x',
      maxSteps: 99,
      tools: [
        { type: 'http', name: 'has space', description: 'd', url: 'https://example.com', inputSchema: { type: 'object' } },
        { type: 'mcp', url: 'not a url', allow: [] },
        { type: 'workflow', workflowId: 'wf_1', name: 'dup' },
        { type: 'workflow', workflowId: 'wf_2', name: 'dup' },
      ],
    },
    expected: [
      'nodes.0.config.maxSteps: Too big: expected number to be <=32',
      'nodes.0.config.tools.0.name: must be 1–64 letters, digits, _ or -',
      'nodes.0.config.tools.1.url: Invalid URL',
      'nodes.0.config.tools.1.allow: Too small: expected array to have >=1 items',
      'nodes.0.config.tools.3: duplicate tool name "dup"',
    ],
    ports: ['out'],
  },
  transform: {
    minimal: { expression: 'input.items[price > 10].name' },
    defaults: {},
    bad: { expression: 42 },
    expected: ['nodes.0.config.expression: Invalid input: expected string, received number'],
    ports: ['out'],
  },
  condition: {
    minimal: { expression: 'input.count > 3' },
    defaults: {},
    bad: {},
    expected: ['nodes.0.config.expression: required (expected string)'],
    ports: ['true', 'false'],
  },
  switch: {
    minimal: { cases: [{ port: 'small', expression: 'input.n < 10' }, { port: 'big', expression: 'input.n >= 10' }] },
    defaults: {},
    bad: { cases: [{ port: 'Big Port', expression: '1' }] },
    expected: ['nodes.0.config.cases.0.port: must be lowercase letters, digits and _ (max 32)'],
    ports: ['small', 'big', 'default'],
  },
  merge: {
    minimal: {},
    defaults: { mode: 'all' },
    bad: { mode: 'first' },
    expected: ['nodes.0.config.mode: Invalid option: expected one of "all"|"any"'],
    ports: ['out'],
  },
  delay: {
    minimal: { duration: '1.5h' },
    defaults: {},
    bad: { duration: '10 minutes' },
    expected: ['nodes.0.config.duration: must be a duration like "500ms", "30s", "5m", "2h" or "1d"'],
    ports: ['out'],
  },
  approval: {
    minimal: { message: 'Publish {{ input.title }}?', form: [{ name: 'note', type: 'string' }] },
    defaults: { form: [{ name: 'note', type: 'string', required: false }] },
    bad: { message: 'ok', form: [{ name: 'a', type: 'date' }, { name: 'b', type: 'string' }, { name: 'b', type: 'number' }], timeout: 'tomorrow' },
    expected: [
      'nodes.0.config.form.0.type: Invalid option: expected one of "string"|"number"|"boolean"',
      'nodes.0.config.timeout: must be a duration like "500ms", "30s", "5m", "2h" or "1d"',
    ],
    ports: ['approved', 'rejected', 'timed_out'],
  },
  map: {
    minimal: { items: 'input.list', workflowId: 'wf_1' },
    defaults: { concurrency: 4 },
    bad: { items: 'input.list', workflowId: 'wf_1', graph: { nodes: [] }, concurrency: 51 },
    expected: [
      'nodes.0.config.concurrency: Too big: expected number to be <=50',
      'nodes.0.config.graph: set either graph (inline sub-graph) or workflowId (saved workflow), not both',
      'nodes.0.config.graph.nodes: a graph needs at least one node',
    ],
    ports: ['out'],
  },
  subworkflow: {
    minimal: { workflowId: 'wf_child', input: { name: '{{ input.name }}' } },
    defaults: {},
    bad: { workflowId: '', version: 0 },
    expected: ['nodes.0.config.workflowId: Too small: expected string to have >=1 characters', 'nodes.0.config.version: Too small: expected number to be >=1'],
    ports: ['out'],
  },
  output: {
    minimal: { value: { greeting: 'Hello {{ input.name }}' } },
    defaults: {},
    bad: undefined,
    expected: ['nodes.0.config: required (expected object)'],
    ports: [],
  },
};

describe('node types', () => {
  it('covers every registered type', () => {
    expect(Object.keys(cases).sort()).toEqual([...NODE_TYPES].sort());
  });

  describe.each(NODE_TYPES)('%s', (type) => {
    const c = cases[type];

    it('accepts a valid config and applies the defaults', () => {
      const node = parseNode(type, c.minimal);
      expect(node.type).toBe(type);
      expect(node.onError).toBe('fail');
      expect(node.config).toEqual({ ...(c.minimal as object), ...c.defaults });
    });

    it('refuses a bad config with the path of each field', () => {
      expect(problems(type, c.bad)).toEqual(c.expected);
    });

    it('has its ports', () => {
      expect(outputPorts(type, parseNode(type, c.minimal).config)).toEqual(c.ports);
    });

    it('accepts the common fields retry, timeout and onError, with defaults', () => {
      const node = parseNode(type, c.minimal, { retry: { maxAttempts: 5 }, timeout: '2m', onError: 'continue', label: 'My node', position: { x: 1, y: 2 } });
      expect(node).toMatchObject({ retry: { maxAttempts: 5, initialInterval: '1s', backoffCoefficient: 2 }, timeout: '2m', onError: 'continue', label: 'My node' });
      expect(problems(type, c.minimal, { retry: { backoffCoefficient: 11 }, timeout: 'later', onError: 'explode' })).toEqual([
        'nodes.0.retry.backoffCoefficient: Too big: expected number to be <=10',
        'nodes.0.timeout: must be a duration like "500ms", "30s", "5m", "2h" or "1d"',
        'nodes.0.onError: Invalid option: expected one of "fail"|"continue"|"route"',
      ]);
    });
  });

  it('approval refuses duplicate form fields', () => {
    expect(problems('approval', { message: 'ok', form: [{ name: 'b', type: 'string' }, { name: 'b', type: 'number' }] })).toEqual([
      'nodes.0.config.form.1.name: duplicate form field "b"',
    ]);
  });

  it('map needs exactly one of graph and workflowId', () => {
    const message = 'nodes.0.config.graph: set either graph (inline sub-graph) or workflowId (saved workflow), not both';
    expect(problems('map', { items: 'input.list' })).toEqual([message]);
    expect(problems('map', { items: 'input.list', workflowId: 'wf', graph: { nodes: [{ id: 'x', type: 'output', config: { value: 1 } }] } })).toEqual([message]);
    expect(problems('map', { items: 'input.list', graph: { nodes: [{ id: 'x', type: 'output', config: { value: '{{ item }}' } }] } })).toEqual([]);
  });

  it('durations convert to milliseconds', () => {
    expect(durationMs('500ms')).toBe(500);
    expect(durationMs('1.5h')).toBe(5_400_000);
    expect(durationMs('1d')).toBe(86_400_000);
    expect(() => durationMs('soon')).toThrow('invalid duration "soon"');
  });
});
