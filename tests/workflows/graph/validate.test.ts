// @lane unit
import { readFileSync } from 'node:fs';
import { MAX_SUBGRAPH_DEPTH, MAX_VALUE_DEPTH, parseGraph, topologicalOrder, upstreamOf, validate, type GraphProblem } from '../../../workflows/graph/validate.ts';
import { Graph, LIMITS } from '../../../workflows/graph/schema.ts';
import { NODE_TYPES } from '../../../workflows/graph/registry.ts';

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), 'utf8')) as unknown;
const hello = fixture('hello-graph.json');

/** Problems as "path: message" lines, for readable exact assertions. */
const lines = (problems: GraphProblem[]) => problems.map((p) => `${p.path}: ${p.message}`);

const t = (id: string, expression = '1', extra: Record<string, unknown> = {}) => ({ id, type: 'transform', config: { expression }, ...extra });
const out = (id: string, value: unknown = 'done') => ({ id, type: 'output', config: { value } });
// Every registered type, in registry order (a new type must not break this test).
const KNOWN = `known types: ${NODE_TYPES.join(', ')}`;

describe('validate', () => {
  it('accepts a valid graph', () => {
    expect(validate(hello)).toEqual([]);
  });

  it('bounds durations and retry intervals at save, while Graph.parse still reads graphs saved before (L10)', () => {
    const graph = {
      nodes: [
        { id: 'd', type: 'delay', config: { duration: '99999999999d' } },
        { id: 'a', type: 'approval', config: { message: 'ok?', timeout: '366d' } },
        t('x', '1', { timeout: '8761h', retry: { maxAttempts: 2, initialInterval: '25h', backoffCoefficient: 10 } }),
        { id: 'm', type: 'map', config: { items: '[1]', graph: { nodes: [{ id: 'w', type: 'delay', config: { duration: '1000d' } }] } } },
      ],
    };
    expect(lines(validate(graph))).toEqual([
      'nodes.0.config.duration: a delay may be at most 365d (this is 99999999999d)',
      'nodes.1.config.timeout: an approval timeout may be at most 365d (this is 366d)',
      'nodes.2.timeout: a node timeout may be at most 365d (this is 8761h)',
      'nodes.2.retry.initialInterval: the first retry interval may be at most 1d (this is 25h)',
      'nodes.3.config.graph.nodes.0.config.duration: a delay may be at most 365d (this is 1000d)',
    ]);
    // A graph saved before the bounds still parses inside a workflow (the interpreter cuts the values).
    expect(() => Graph.parse(graph)).not.toThrow();
    // The bounds themselves are allowed; coefficient and attempts keep their schema limits.
    expect(validate({ nodes: [{ id: 'd', type: 'delay', config: { duration: '365d' } }, t('x', '1', { timeout: '8760h', retry: { maxAttempts: 100, initialInterval: '1d', backoffCoefficient: 10 } })] })).toEqual([]);
    expect(lines(validate({ nodes: [t('x', '1', { retry: { maxAttempts: 101, backoffCoefficient: 1e99 } })] }))).toEqual([
      'nodes.0.retry.maxAttempts: Too big: expected number to be <=100',
      'nodes.0.retry.backoffCoefficient: Too big: expected number to be <=10',
    ]);
  });

  it('accepts the graph that uses every node type', () => {
    expect(validate(fixture('graphs/every-node-type.json'))).toEqual([]);
  });

  it('reports schema problems with their paths', () => {
    const problems = validate({ nodes: [{ id: '1bad', type: 'nope', config: {} }] });
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.some((p) => p.path.startsWith('nodes.0'))).toBe(true);
  });

  it("checks the graph's per-run AI limits (settings): positive numbers, no other keys", () => {
    const settings = { maxAiTokens: 50_000, maxCostUsd: 0.25 };
    expect(validate({ nodes: [out('o')], settings })).toEqual([]);
    expect(Graph.parse({ nodes: [out('o')], settings }).settings).toEqual(settings);
    expect(lines(validate({ nodes: [out('o')], settings: { maxAiTokens: 0, maxCostUsd: -1, maxRuns: 3 } }))).toEqual([
      'settings.maxAiTokens: Too small: expected number to be >0',
      'settings.maxCostUsd: Too small: expected number to be >0',
      'settings: Unrecognized key: "maxRuns"',
    ]);
    expect(lines(validate({ nodes: [out('o')], settings: { maxAiTokens: 1.5 } }))).toEqual(['settings.maxAiTokens: Invalid input: expected int, received number']);
  });

  it('reports duplicate ids, unknown edge ends, bad ports, bad expressions and cycles together', () => {
    const problems = validate({
      nodes: [
        { id: 'a', type: 'transform', config: { expression: 'input.x' } },
        { id: 'a', type: 'transform', config: { expression: 'input.(' } },
        { id: 'b', type: 'output', config: { value: 'x {{ steps.( }}' } },
      ],
      edges: [
        { from: 'a', to: 'b' },
        { from: 'b', to: 'a' },
        { from: 'a', to: 'ghost' },
        { from: 'a', port: 'nope', to: 'b' },
      ],
    });
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p.message]));
    expect(byPath['nodes.1.id']).toBe('duplicate node id "a" (also nodes.0)');
    expect(byPath['nodes.1.config.expression']).toMatch(/^invalid expression/);
    expect(byPath['nodes.2.config.value']).toMatch(/^invalid expression \{\{ steps\.\( \}\}/);
    expect(byPath['edges.2.to']).toBe('unknown node "ghost"');
    expect(byPath['edges.3.port']).toBe('node "a" has no output port "nope" (its ports: out)');
    expect(byPath['edges.1']).toBe('cycle: a → b → a');
  });

  it('orders nodes topologically', () => {
    const graph = Graph.parse({
      nodes: [
        { id: 'c', type: 'output', config: { value: 1 } },
        { id: 'a', type: 'transform', config: { expression: '1' } },
        { id: 'b', type: 'transform', config: { expression: '2' } },
      ],
      edges: [{ from: 'a', to: 'b' }, { from: 'b', to: 'c' }],
    });
    expect(topologicalOrder(graph)).toEqual(['a', 'b', 'c']);
  });

  it('keeps the topological order the interpreter relies on (start nodes in graph order, then breadth first)', () => {
    const graph = Graph.parse({
      nodes: [out('z'), t('s2'), t('s1'), t('m'), t('x')],
      edges: [{ from: 's1', to: 'x' }, { from: 's2', to: 'm' }, { from: 's1', to: 'm' }, { from: 'm', to: 'z' }, { from: 'x', to: 'z' }],
    });
    expect(topologicalOrder(graph)).toEqual(['s2', 's1', 'x', 'm', 'z']);
    expect(() => topologicalOrder(Graph.parse({ nodes: [t('a'), t('b')], edges: [{ from: 'a', to: 'b' }, { from: 'b', to: 'a' }] }))).toThrow(
      'cycle: a → b → a',
    );
  });

  describe('the document', () => {
    it.each([null, undefined, 'graph', 42, true, [], [{ id: 'a' }]])('refuses %p as a graph', (value) => {
      expect(lines(validate(value))).toEqual([': a graph must be an object with a "nodes" array and an "edges" array']);
    });

    it('needs nodes, as an array, with at least one node; edges are optional but an array', () => {
      expect(lines(validate({}))).toEqual(['nodes: required: a graph needs a "nodes" array']);
      expect(lines(validate({ nodes: {} }))).toEqual(['nodes: must be an array of nodes']);
      expect(lines(validate({ nodes: [] }))).toEqual(['nodes: a graph needs at least one node']);
      expect(validate({ nodes: [t('a')] })).toEqual([]);
      expect(lines(validate({ nodes: [t('a')], edges: 'a→b' }))).toEqual(['edges: must be an array of edges']);
    });

    it('refuses nodes and edges that are not objects', () => {
      expect(lines(validate({ nodes: [t('a'), null, 'b'], edges: [7] }))).toEqual([
        'nodes.1: a node must be an object with id, type and config',
        'nodes.2: a node must be an object with id, type and config',
        'edges.0: an edge must be an object with from, to and an optional port',
      ]);
    });
  });

  describe('schema', () => {
    it('names an unknown node type and lists the known ones, instead of union noise', () => {
      expect(lines(validate({ nodes: [{ id: 'a', type: 'email', config: {} }] }))).toEqual([`nodes.0.type: unknown node type "email"; ${KNOWN}`]);
      expect(lines(validate({ nodes: [{ id: 'a', config: {} }] }))).toEqual([`nodes.0.type: missing node type; ${KNOWN}`]);
      expect(lines(validate({ nodes: [{ id: 'a', type: 3, config: {} }] }))).toEqual([`nodes.0.type: node type must be a string; ${KNOWN}`]);
    });

    it('still checks the common fields of a node of unknown type, and its edges', () => {
      expect(lines(validate({ nodes: [{ id: 'a b', type: 'email', onError: 'explode' }, t('x')], edges: [{ from: 'x', to: 'a b' }] }))).toEqual([
        `nodes.0.type: unknown node type "email"; ${KNOWN}`,
        'nodes.0.id: must start with a letter or _ and hold only letters, digits and _ (max 64)',
        'nodes.0.onError: Invalid option: expected one of "fail"|"continue"|"route"',
        'edges.0.to: must start with a letter or _ and hold only letters, digits and _ (max 64)',
      ]);
    });

    it('reports the config errors of every node, not just the first', () => {
      expect(lines(validate(fixture('graphs/invalid-schema.json')))).toEqual([
        `nodes.0.type: unknown node type "email"; ${KNOWN}`,
        'nodes.1.config.method: Invalid option: expected one of "GET"|"POST"|"PUT"|"PATCH"|"DELETE"|"HEAD"',
        'nodes.1.config.url: required (expected string)',
        'nodes.2.config.temperature: Too big: expected number to be <=2',
        'nodes.3.id: must start with a letter or _ and hold only letters, digits and _ (max 64)',
        'nodes.3.config.duration: must be a duration like "500ms", "30s", "5m", "2h" or "1d"',
        'nodes.4.retry.maxAttempts: Too small: expected number to be >=1',
        'nodes.4.onError: Invalid option: expected one of "fail"|"continue"|"route"',
        'nodes.4.id: duplicate node id "fetch" (also nodes.1)',
        'edges.1.to: required (expected string)',
      ]);
    });

    it('reserves ids that are property names of every object', () => {
      for (const id of ['__proto__', 'constructor', 'toString']) {
        expect(lines(validate({ nodes: [t(id)] }))).toEqual([`nodes.0.id: node id "${id}" is reserved (a built-in property name of JavaScript objects)`]);
      }
    });

    it('applies defaults (parseGraph), inside map sub-graphs too', () => {
      const parsed = parseGraph({
        nodes: [
          { id: 'f', type: 'http', config: { url: 'https://example.com' } },
          { id: 'm', type: 'map', config: { items: '[1]', graph: { nodes: [t('x')] } } },
        ],
      });
      if (!('graph' in parsed)) throw new Error(JSON.stringify(parsed.problems));
      const [http, map] = parsed.graph.nodes;
      expect(http).toMatchObject({ onError: 'fail', config: { method: 'GET', bodyType: 'json', responseType: 'auto' } });
      expect(parsed.graph.edges).toEqual([]);
      expect(map?.type === 'map' && map.config.graph).toEqual({ nodes: [{ id: 'x', type: 'transform', onError: 'fail', config: { expression: '1' } }], edges: [] });
      expect(parseGraph({ nodes: [] })).toEqual({ problems: [{ path: 'nodes', message: 'a graph needs at least one node' }] });
    });
  });

  describe('edges and ports', () => {
    it('checks ports against the node type, the config and onError', () => {
      expect(lines(validate(fixture('graphs/invalid-ports.json')))).toEqual([
        'edges.1.port: node "ok" has several output ports (true, false): set the edge\'s port',
        'edges.2.port: node "pick" has no output port "large" (its ports: small, default, error)',
        'edges.5.port: node "done" is an output node and has no outputs',
        'edges.6.port: node "fetch" has no output port "error": set its onError to "route" to route its errors',
        'edges.7: duplicate edge fetch:out → ok (same as edges.0)',
        'edges.8.to: unknown node "ghost"',
      ]);
    });

    it('lists the ports of approval and switch nodes when the edge has none', () => {
      const problems = validate({
        nodes: [
          { id: 'ask', type: 'approval', config: { message: 'Go?' } },
          { id: 'pick', type: 'switch', config: { cases: [{ port: 'a', expression: '1' }, { port: 'b', expression: '2' }] } },
          out('x'),
        ],
        edges: [{ from: 'ask', to: 'pick' }, { from: 'pick', to: 'x' }],
      });
      expect(lines(problems)).toEqual([
        'edges.0.port: node "ask" has several output ports (approved, rejected, timed_out): set the edge\'s port',
        'edges.1.port: node "pick" has several output ports (a, b, default): set the edge\'s port',
      ]);
    });

    it('accepts the error port when onError is route, also on output nodes', () => {
      const graph = {
        nodes: [t('a', '1', { onError: 'route' }), { ...out('o'), onError: 'route' }, t('handle'), t('next')],
        edges: [
          { from: 'a', to: 'o' },
          { from: 'a', port: 'error', to: 'handle' },
          { from: 'o', port: 'error', to: 'handle' },
        ],
      };
      expect(validate(graph)).toEqual([]);
      graph.edges.push({ from: 'o', to: 'next' });
      expect(lines(validate(graph))).toEqual(['edges.3.port: node "o" is an output node and has no outputs (except "error", set port to "error" to route its errors)']);
    });

    it('treats an edge without port and one naming the only port as the same edge', () => {
      expect(lines(validate({ nodes: [t('a'), out('b')], edges: [{ from: 'a', to: 'b' }, { from: 'a', to: 'b' }, { from: 'a', port: 'out', to: 'b' }] }))).toEqual([
        'edges.1: duplicate edge a → b (same as edges.0)',
        'edges.2: duplicate edge a:out → b (same as edges.0)',
      ]);
      // Two ports of a condition to the same node are two different edges.
      const condition = { id: 'c', type: 'condition', config: { expression: 'true' } };
      expect(validate({ nodes: [condition, out('b')], edges: [{ from: 'c', port: 'true', to: 'b' }, { from: 'c', port: 'false', to: 'b' }] })).toEqual([]);
    });

    it('reports edges from and to missing nodes', () => {
      expect(lines(validate({ nodes: [t('a')], edges: [{ from: 'ghost', to: 'a' }, { from: 'a', to: 'nobody' }] }))).toEqual([
        'edges.0.from: unknown node "ghost"',
        'edges.1.to: unknown node "nobody"',
      ]);
    });

    it('refuses switch cases that reuse a port or take a reserved one', () => {
      const cases = [
        { port: 'a', expression: '1' },
        { port: 'a', expression: '2' },
        { port: 'default', expression: '3' },
        { port: 'error', expression: '4' },
      ];
      expect(lines(validate({ nodes: [{ id: 's', type: 'switch', config: { cases } }] }))).toEqual([
        'nodes.0.config.cases.1.port: duplicate case port "a"',
        'nodes.0.config.cases.2.port: "default" is reserved for the port taken when no case matches',
        'nodes.0.config.cases.3.port: "error" is reserved for the port of routed errors',
      ]);
    });
  });

  describe('cycles and unreachable nodes', () => {
    it('names each cycle and reports the nodes after a cycle as unreachable', () => {
      expect(lines(validate(fixture('graphs/invalid-cycle.json')))).toEqual([
        'edges.3: cycle: a → b → c → a',
        'edges.6: cycle: loop → loop',
        'nodes.4: node "after" is unreachable: it comes after the cycle a → b → c → a and can never run',
      ]);
    });

    it('finds every cycle of a tangle, one after the other', () => {
      const problems = validate({
        nodes: [t('a'), t('b'), t('c'), t('d')],
        edges: [{ from: 'a', to: 'b' }, { from: 'b', to: 'a' }, { from: 'b', to: 'c' }, { from: 'c', to: 'd' }, { from: 'd', to: 'b' }],
      });
      expect(lines(problems)).toEqual(['edges.1: cycle: a → b → a', 'edges.4: cycle: b → c → d → b']);
    });

    it('marks everything downstream of a cycle, even with another live input', () => {
      const problems = validate({
        nodes: [t('s'), t('a'), t('b'), t('x'), t('y')],
        edges: [{ from: 'a', to: 'b' }, { from: 'b', to: 'a' }, { from: 'b', to: 'x' }, { from: 's', to: 'x' }, { from: 'x', to: 'y' }],
      });
      expect(lines(problems)).toEqual([
        'edges.1: cycle: a → b → a',
        'nodes.3: node "x" is unreachable: it comes after the cycle a → b → a and can never run',
        'nodes.4: node "y" is unreachable: it comes after the cycle a → b → a and can never run',
      ]);
    });

    it('allows several start nodes and independent branches', () => {
      expect(validate({ nodes: [t('a'), t('b'), out('c'), out('d')], edges: [{ from: 'a', to: 'c' }, { from: 'b', to: 'd' }] })).toEqual([]);
    });
  });

  describe('expressions', () => {
    it('parses expressions, templates (deep in objects and arrays), switch cases, map items and sub-graphs', () => {
      expect(lines(validate(fixture('graphs/invalid-expressions.json')))).toEqual([
        'nodes.0.config.body.items.0: steps.later: node "later" is not upstream of "fetch", so its output is not available here',
        'nodes.0.config.body.items.1: invalid expression {{ input.( }}: Expected ")" before end of expression',
        'nodes.1.config.expression: steps["fetch"] does not read step "fetch" (in JSONata brackets filter): write steps.fetch',
        'nodes.2.config.cases.0.expression: invalid expression: Unexpected end of expression',
        'nodes.3.config.expression: steps.nowhere: there is no node "nowhere"',
        'nodes.4.config.graph.edges.1.port: node "two" is an output node and has no outputs',
        'nodes.4.config.graph.edges.1: cycle: one → two → one',
        'nodes.4.config.graph.nodes.0.config.expression: steps.fetch: there is no node "fetch" in this sub-graph (a map sub-graph reads only its own steps, plus item and input)',
        'nodes.4.config.graph.nodes.1.config.value: empty template {{ }}',
      ]);
    });

    it('checks map items and template fields of every node type', () => {
      const problems = validate({
        nodes: [
          { id: 'm', type: 'map', config: { items: 'input.[', workflowId: 'wf' } },
          { id: 'a', type: 'ai', config: { system: '{{ 1 + }}', prompt: 'ok' } },
          { id: 'p', type: 'approval', config: { message: '{{ $x( }}' } },
          { id: 's', type: 'subworkflow', config: { workflowId: 'wf', input: { deep: [{ x: '{{ ) }}' }] } } },
          { id: 'h', type: 'http', config: { url: 'https://x', headers: { A: '{{ ( }}' }, query: { q: '{{ ] }}' } } },
          { id: 'c', type: 'condition', config: { expression: '   ' } },
        ],
      });
      expect(problems.map((p) => p.path)).toEqual([
        'nodes.0.config.items',
        'nodes.1.config.system',
        'nodes.2.config.message',
        'nodes.3.config.input.deep.0.x',
        'nodes.4.config.headers.A',
        'nodes.4.config.query.q',
        'nodes.5.config.expression',
      ]);
      expect(problems.at(-1)?.message).toBe('empty expression');
    });

    it('accepts steps that are upstream, through any path, in all spellings', () => {
      const graph = {
        nodes: [
          t('a'),
          t('b', 'steps.a.output + 1'),
          t('c', '$$.steps.b.output + $lookup(steps, "a").output + steps.`a`.output'),
          out('d', { all: '{{ steps.a.output }} {{ steps.c.output }}', text: '{{ "steps.z is only text" }}', field: '{{ input.steps.z }}' }),
        ],
        edges: [{ from: 'a', to: 'b' }, { from: 'b', to: 'c' }, { from: 'c', to: 'd' }],
      };
      expect(validate(graph)).toEqual([]);
    });

    it('names the step a node cannot read', () => {
      const problems = validate({
        nodes: [t('a', 'steps.b.output'), t('b', 'steps.b.output'), t('c', '$lookup(steps, "a")'), t('d', 'steps.zz')],
        edges: [{ from: 'a', to: 'b' }],
      });
      expect(lines(problems)).toEqual([
        'nodes.0.config.expression: steps.b: node "b" is not upstream of "a", so its output is not available here',
        'nodes.1.config.expression: steps.b: a node cannot read its own output',
        'nodes.2.config.expression: $lookup(steps, "a"): node "a" is not upstream of "c", so its output is not available here',
        'nodes.3.config.expression: steps.zz: there is no node "zz"',
      ]);
    });

    it('lets map items read the steps before the map, and a sub-graph its own steps and item', () => {
      const graph = {
        nodes: [
          t('list', '[1, 2]'),
          {
            id: 'each',
            type: 'map',
            config: {
              items: 'steps.list.output',
              graph: { nodes: [t('double', 'item * 2'), out('result', '{{ steps.double.output }}')], edges: [{ from: 'double', to: 'result' }] },
            },
          },
          out('done', '{{ steps.each.output }}'),
        ],
        edges: [{ from: 'list', to: 'each' }, { from: 'each', to: 'done' }],
      };
      expect(validate(graph)).toEqual([]);
    });
  });

  describe('limits', () => {
    const chain = (n: number) => ({
      nodes: Array.from({ length: n }, (_, i) => t(`n${i}`)),
      edges: Array.from({ length: n - 1 }, (_, i) => ({ from: `n${i}`, to: `n${i + 1}` })),
    });

    it('accepts a graph at the node limit and refuses one over it', () => {
      expect(validate(chain(LIMITS.nodes))).toEqual([]);
      expect(lines(validate(chain(LIMITS.nodes + 1)))).toEqual([`nodes: a graph may have at most ${LIMITS.nodes} nodes (this one has ${LIMITS.nodes + 1})`]);
    });

    it('refuses too many edges', () => {
      const edges = Array.from({ length: LIMITS.edges + 1 }, () => ({ from: 'a', to: 'b' }));
      expect(validate({ nodes: [t('a'), out('b')], edges })[0]).toEqual({
        path: 'edges',
        message: `a graph may have at most ${LIMITS.edges} edges (this one has ${LIMITS.edges + 1})`,
      });
    });

    it('reports only the limit for a graph far over it', () => {
      expect(lines(validate({ nodes: new Array(1e7), edges: new Array(1e7) }))).toEqual([
        `nodes: a graph may have at most ${LIMITS.nodes} nodes (this one has 10000000)`,
        `edges: a graph may have at most ${LIMITS.edges} edges (this one has 10000000)`,
      ]);
    });

    it('refuses expressions over the length limit', () => {
      const long = `1${' + 1'.repeat(LIMITS.expressionLength / 4)}`;
      expect(lines(validate({ nodes: [t('a', long), out('b', `x {{ ${long} }}`)] }))).toEqual([
        `nodes.0.config.expression: expression is longer than ${LIMITS.expressionLength} characters (${long.length})`,
        `nodes.1.config.value: expression {{ 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1… }} is longer than ${LIMITS.expressionLength} characters (${long.length})`,
      ]);
      expect(validate({ nodes: [t('a', `"${'x'.repeat(LIMITS.expressionLength - 2)}"`)] })).toEqual([]);
      // A parser message quoting a huge token is cut short.
      const [problem] = validate({ nodes: [t('a', '1'.repeat(LIMITS.expressionLength))] });
      expect(problem?.message).toMatch(/^invalid expression: Number out of range: "1111.*…$/);
      expect(problem?.message.length).toBeLessThan(400);
    });

    it('counts the nodes of map sub-graphs toward the limit and bounds their nesting', () => {
      const sub = chain(LIMITS.nodes);
      expect(lines(validate({ nodes: [{ id: 'm', type: 'map', config: { items: '[1]', graph: sub } }] }))).toEqual([
        `nodes.0.config.graph: the graph and its map sub-graphs may have at most ${LIMITS.nodes} nodes in all`,
      ]);
      let graph: unknown = { nodes: [t('leaf')] };
      for (let i = 0; i <= MAX_SUBGRAPH_DEPTH; i++) graph = { nodes: [{ id: 'm', type: 'map', config: { items: '[1]', graph } }] };
      const deep = `nodes.0.config.graph.`.repeat(MAX_SUBGRAPH_DEPTH);
      expect(lines(validate(graph))).toEqual([`${deep}nodes.0.config.graph: map sub-graphs may be nested at most ${MAX_SUBGRAPH_DEPTH} levels deep`]);
    });

    it('refuses config values nested too deep or containing themselves', () => {
      let body: unknown = 'leaf';
      for (let i = 0; i < MAX_VALUE_DEPTH + 5; i++) body = [body];
      const deep = validate({ nodes: [{ id: 'h', type: 'http', config: { url: 'https://x', body } }] });
      expect(deep).toHaveLength(1);
      expect(deep[0]?.message).toBe(`nested more than ${MAX_VALUE_DEPTH} levels deep`);
      expect(deep[0]?.path).toBe(`nodes.0.config.body${'.0'.repeat(MAX_VALUE_DEPTH)}`);

      const circular: Record<string, unknown> = { a: 1 };
      circular.self = { again: circular };
      expect(lines(validate({ nodes: [{ id: 'o', type: 'output', config: { value: circular } }] }))).toEqual([
        'nodes.0.config.value.self.again: circular reference: this value contains itself',
      ]);
    });
  });

  describe('upstreamOf', () => {
    it('gives the ancestors of a node', () => {
      const graph = Graph.parse(fixture('graphs/every-node-type.json'));
      expect([...upstreamOf(graph, 'fetch')]).toEqual(['prepare']);
      expect(upstreamOf(graph, 'join')).toEqual(new Set(['review', 'wait', 'route', 'summarize', 'ok', 'fetch', 'prepare']));
      expect(upstreamOf(graph, 'prepare')).toEqual(new Set());
    });
  });

  it('never throws, even on hostile values', () => {
    const hostile = {
      get nodes(): unknown {
        throw new Error('boom');
      },
    };
    expect(validate(hostile)).toEqual([{ path: '', message: 'the graph could not be validated: boom' }]);
    const proxy = new Proxy({}, { ownKeys: () => { throw new Error('no keys'); }, get: () => { throw new Error('no get'); } });
    expect(() => validate(proxy)).not.toThrow();
    expect(() => validate({ nodes: [{ id: 'a', type: 'output', config: proxy }] })).not.toThrow();
  });
});

describe('validate on values built in code', () => {
  it('stays fast on objects that share themselves many times over', () => {
    // Not circular, but 2^60 paths if walked naively.
    let shared: Record<string, unknown> = { leaf: '{{ input.x }}' };
    for (let i = 0; i < 60; i++) shared = { a: shared, b: shared };
    const started = Date.now();
    const problems = validate({ nodes: [{ id: 'o', type: 'output', config: { value: shared } }, out('p', shared)] });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toMatch(/^nodes\.0\.config\.value(\.[ab])+(\.leaf)?$/);
    expect(problems[0]?.message).toBe('too large to validate (more than 200000 values)');
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('stays fast on a sub-graph object shared by many map nodes', () => {
    const sub: { nodes: unknown[] } = { nodes: [] };
    const maps = Array.from({ length: 100 }, (_, i) => ({ id: `m${i}`, type: 'map', config: { items: '[1]', graph: sub } }));
    sub.nodes = maps;
    const started = Date.now();
    const problems = validate({ nodes: maps });
    expect(problems.some((p) => p.message === `the graph and its map sub-graphs may have at most ${LIMITS.nodes} nodes in all`)).toBe(true);
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
