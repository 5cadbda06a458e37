// @lane unit
// "A graph that validates must never crash the interpreter": thousands of random and mutated
// graphs (seeded, so a failure reproduces) must never make `validate` throw, and every graph it
// accepts must parse, order topologically and hold only edges the interpreter can follow.
import { readFileSync } from 'node:fs';
import { expressionProblem, templateExpressions } from '../../../workflows/graph/expressions.ts';
import { NODE_TYPES, nodeTypes, outputPorts } from '../../../workflows/graph/registry.ts';
import { Graph } from '../../../workflows/graph/schema.ts';
import { forEachAt, parseGraph, topologicalOrder, validate } from '../../../workflows/graph/validate.ts';

const SEED = 20261125;
const CASES = 3_000;

/** mulberry32: a small seeded PRNG. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const chance = (p: number) => next() < p;
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  return { next, int, chance, pick };
}

type Random = ReturnType<typeof prng>;
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const IDS = ['a', 'b', 'c', 'd', 'e', 'fetch', 'ok', 'done', '_x', 'n9'];
const BAD_IDS = ['', '1x', 'a-b', 'x'.repeat(70), '__proto__', 'constructor', 5, null];
const PORTS = ['out', 'true', 'false', 'approved', 'rejected', 'timed_out', 'default', 'a', 'b', 'error', 'nope', ''];

/** Probability of a deliberately bad value; half of the random graphs are drawn clean. */
let noise = 1;

/** A good value, or (with the noise) a bad one. */
function pv<T extends Json>(r: Random, good: T[], bad: T[]): T {
  return r.chance(1 - 0.15 * noise) ? r.pick(good) : r.pick(bad);
}

function expression(r: Random, ids: string[]): string {
  const good = ['input.x', '1', 'true', '$count(input.items)', 'input.items[price > 3].name', '"text"', 'item * 2', 'run.id', '$$.input'];
  const bad = ['input.(', '', '   ', '1 +', '"unterminated', '{"a": 1', ')', 'steps["a"].output', `"${'x'.repeat(10_001)}"`];
  if (r.chance(0.15 * noise) && ids.length > 0) {
    const id = r.pick(ids);
    return r.pick([`steps.${id}.output`, `$lookup(steps, "${id}").output`, `$$.steps.${id}.status = "succeeded"`, `steps.\`${id}\`.output`]);
  }
  return r.chance(1 - 0.1 * noise) ? r.pick(good) : r.pick(bad);
}

function template(r: Random, ids: string[]): string {
  const e = () => expression(r, ids);
  const forms = [() => 'plain text', () => `Hi {{ ${e()} }}`, () => `{{ ${e()} }}`, () => `a {{ ${e()} }} b {{ ${e()} }}`, () => 'x {{ unclosed'];
  return r.chance(0.05 * noise) ? '{{ }}' : r.pick(forms)();
}

function config(r: Random, type: string, ids: string[], depth: number): Json {
  const t = () => template(r, ids);
  const e = () => expression(r, ids);
  switch (type) {
    case 'http':
      return {
        url: t(),
        ...(r.chance(0.3) ? { method: pv(r, ['GET', 'POST', 'DELETE'], ['SEND']) } : {}),
        ...(r.chance(0.3) ? { headers: { Accept: t() } } : {}),
        ...(r.chance(0.3) ? { body: { k: t(), list: [t(), 1, null, { deep: t() }] } } : {}),
      };
    case 'ai':
      return { prompt: t(), ...(r.chance(0.3) ? { system: t() } : {}), ...(r.chance(0.2) ? { temperature: pv(r, [0, 0.7], [3]) } : {}) };
    case 'transform':
    case 'condition':
      return { expression: e() };
    case 'switch':
      return { cases: Array.from({ length: 1 + r.int(3) }, () => ({ port: pv(r, ['a', 'b', 'c'], ['default', 'error', 'Bad']), expression: e() })) };
    case 'merge':
      return r.chance(0.5) ? {} : { mode: pv(r, ['all', 'any'], ['first']) };
    case 'delay':
      return { duration: pv(r, ['1s', '5m', '0.5h'], ['soon']) };
    case 'approval':
      return {
        message: t(),
        ...(r.chance(0.3) ? { form: [{ name: pv(r, ['note'], ['1bad']), type: pv(r, ['string', 'number'], ['date']) }] } : {}),
        ...(r.chance(0.3) ? { timeout: pv(r, ['1d'], ['never']) } : {}),
      };
    case 'map':
      return depth < 2 && r.chance(0.7)
        ? { items: e(), graph: graph(r, depth + 1), ...(r.chance(0.2) ? { concurrency: pv(r, [1, 8], [99]) } : {}) }
        : { items: e(), workflowId: 'wf_1' };
    case 'subworkflow':
      return { workflowId: pv(r, ['wf_child'], ['']), ...(r.chance(0.5) ? { input: { x: t() } } : {}) };
    case 'output':
      return { value: r.chance(0.5) ? t() : { result: t(), n: 1 } };
    default:
      return {};
  }
}

/** A random graph: mostly a DAG in node order with plausible ports, sometimes not. */
function graph(r: Random, depth = 0): Json {
  const count = 1 + r.int(depth > 0 ? 3 : 8);
  const ids: string[] = [];
  const nodes: Json[] = [];
  for (let i = 0; i < count; i++) {
    const id = r.chance(1 - 0.03 * noise) ? r.pick(IDS.filter((x) => !ids.includes(x))) : r.pick(BAD_IDS);
    const type = r.chance(1 - 0.03 * noise) ? r.pick(NODE_TYPES) : r.pick(['email', 'HTTP', 7, null]);
    const node: { [key: string]: Json } = { id, type, config: config(r, String(type), ids.slice(), depth) };
    if (r.chance(0.15)) node.onError = pv(r, ['fail', 'continue', 'route'], ['retry']);
    if (r.chance(0.1)) node.retry = { maxAttempts: pv(r, [1, 3], [0]) };
    if (r.chance(0.1)) node.timeout = pv(r, ['30s'], ['ages']);
    if (typeof id === 'string') ids.push(id);
    nodes.push(node);
  }
  const edges: Json[] = [];
  const edgeCount = r.int(Math.ceil(count * 1.5));
  for (let k = 0; k < edgeCount && ids.length > 1; k++) {
    let i = r.int(ids.length);
    let j = r.int(ids.length);
    if (r.chance(1 - 0.1 * noise) && i > j) [i, j] = [j, i];
    if (i === j && r.chance(1 - 0.1 * noise)) continue;
    const from = r.chance(1 - 0.03 * noise) ? (ids[i] as string) : 'ghost';
    const to = r.chance(1 - 0.03 * noise) ? (ids[j] as string) : 'ghost';
    const source = nodes[i] as { type?: Json; config?: Json };
    if (source.type === 'output' && r.chance(1 - noise)) continue;
    let port: string | undefined;
    if (r.chance(0.85) && typeof source.type === 'string' && (NODE_TYPES as string[]).includes(source.type)) {
      const outputs = nodeTypes[source.type as keyof typeof nodeTypes].outputs;
      const ports = typeof outputs === 'function' ? ((source.config as { cases?: { port?: string }[] }).cases ?? []).map((c) => String(c.port)).concat('default') : [...outputs];
      port = ports.length === 1 && r.chance(0.7) ? undefined : r.pick(ports.length > 0 ? ports : ['out']);
    } else if (r.chance(0.5)) {
      port = r.pick(PORTS);
    }
    edges.push(port === undefined ? { from, to } : { from, port, to });
  }
  return r.chance(0.95) ? { nodes, edges } : { nodes };
}

function garbage(r: Random, depth = 0): Json {
  const kind = r.int(depth > 3 ? 5 : 8);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return r.pick([0, -1, 1.5, 1e308, Number.MAX_SAFE_INTEGER]);
    case 2:
      return r.pick(['', 'x', '{{ input.( }}', 'steps.a', '__proto__', 'a'.repeat(20_000)]);
    case 3:
      return r.chance(0.5);
    case 4:
      return r.pick(IDS);
    case 5:
      return Array.from({ length: r.int(4) }, () => garbage(r, depth + 1));
    case 6:
      return Object.fromEntries(Array.from({ length: r.int(4) }, () => [r.pick(['id', 'type', 'config', 'nodes', 'edges', 'from', 'to', 'port', 'x', 'graph']), garbage(r, depth + 1)]));
    default: {
      // Deeply nested.
      let value: Json = 'leaf';
      const levels = r.pick([10, 100, 1_000]);
      for (let i = 0; i < levels; i++) value = r.chance(0.5) ? [value] : { k: value };
      return value;
    }
  }
}

/** Applies a few random edits anywhere in a JSON value. */
function mutate(r: Random, value: Json, edits: number): Json {
  const copy = structuredClone(value);
  for (let n = 0; n < edits; n++) {
    // Walk to a random container.
    let parent: Json = copy;
    for (let steps = r.int(6); steps > 0; steps--) {
      const children: Json[] = Array.isArray(parent) ? parent : parent && typeof parent === 'object' ? Object.values(parent) : [];
      const containers = children.filter((c) => c !== null && typeof c === 'object');
      if (containers.length === 0) break;
      parent = r.pick(containers);
    }
    if (Array.isArray(parent)) {
      const action = r.int(4);
      if (action === 0 && parent.length > 0) parent.splice(r.int(parent.length), 1);
      else if (action === 1 && parent.length > 0) parent.push(structuredClone(r.pick(parent)));
      else if (parent.length > 0) parent[r.int(parent.length)] = garbage(r);
      else parent.push(garbage(r));
    } else if (parent && typeof parent === 'object') {
      const keys = Object.keys(parent);
      const action = r.int(3);
      if (action === 0 && keys.length > 0) delete parent[r.pick(keys)];
      else if (action === 1 && keys.length > 0) parent[r.pick(keys)] = garbage(r);
      else parent[r.pick(['id', 'type', 'config', 'port', 'onError', 'graph', 'cases', 'expression', 'value', 'from', 'to'])] = garbage(r);
    }
  }
  return copy;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(message);
}

/** Everything the interpreter assumes of a graph that validated (plain checks: they run thousands of times). */
function assertRunnable(candidate: unknown) {
  const graph = Graph.parse(candidate);
  const order = topologicalOrder(graph);
  const ids = graph.nodes.map((n) => n.id);
  check(order.length === ids.length && new Set(order).size === ids.length && ids.every((id) => order.includes(id)), `order ${order.join()} is not a permutation of ${ids.join()}`);
  const position = new Map(order.map((id, i) => [id, i]));
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  check(byId.size === graph.nodes.length, 'duplicate ids');
  for (const edge of graph.edges) {
    check((position.get(edge.from) as number) < (position.get(edge.to) as number), `edge ${edge.from} → ${edge.to} goes backwards`);
    const from = byId.get(edge.from);
    if (!from) throw new Error(`edge from a missing node ${edge.from}`);
    const ports = outputPorts(from.type, from.config);
    const all = from.onError === 'route' ? [...ports, 'error'] : ports;
    // The interpreter's fallback for an edge without port is the node's first port.
    check(edge.port === undefined ? ports.length === 1 : all.includes(edge.port), `edge ${edge.from}:${edge.port} → ${edge.to} uses no port of ${all.join()}`);
  }
  for (const node of graph.nodes) {
    const definition = nodeTypes[node.type];
    const config = node.config as Record<string, unknown>;
    const parses = (e: string) => check(expressionProblem(e) === undefined, `expression ${e} does not parse`);
    for (const field of definition.expressionFields) forEachAt(config, field, '', (value) => parses(String(value)));
    if (node.type === 'switch') node.config.cases.forEach((c) => parses(c.expression));
    for (const field of definition.templateFields) {
      const walk = (v: unknown): void => {
        if (typeof v === 'string') templateExpressions(v).forEach(parses);
        else if (v && typeof v === 'object') Object.values(v).forEach(walk);
      };
      forEachAt(config, field, '', walk);
    }
    if (definition.subgraphField !== undefined && config[definition.subgraphField] !== undefined) assertRunnable(config[definition.subgraphField]);
  }
}

describe('validate is total', () => {
  const fixture = JSON.parse(readFileSync(new URL('../../fixtures/graphs/every-node-type.json', import.meta.url), 'utf8')) as Json;

  it(`never throws on ${CASES} random and mutated graphs, and what it accepts runs`, () => {
    const r = prng(SEED);
    let valid = 0;
    for (let n = 0; n < CASES; n++) {
      const kind = n % 4;
      noise = kind === 0 && r.chance(0.5) ? 0.2 : 1;
      const candidate: Json =
        kind === 0 ? graph(r) : kind === 1 ? mutate(r, graph(r), 1 + r.int(3)) : kind === 2 ? mutate(r, fixture, 1 + r.int(4)) : r.chance(0.2) ? garbage(r) : mutate(r, graph(r), 1);
      let problems;
      try {
        problems = validate(candidate);
      } catch (error) {
        throw new Error(`case ${n} (seed ${SEED}) threw: ${String(error)}\n${JSON.stringify(candidate).slice(0, 2_000)}`, { cause: error });
      }
      for (const problem of problems) {
        check(typeof problem.path === 'string' && typeof problem.message === 'string' && problem.message.length > 0, `malformed problem ${JSON.stringify(problem)}`);
        // The catch-all is for hostile objects only; JSON must never reach it.
        if (problem.message.startsWith('the graph could not be validated')) {
          throw new Error(`case ${n} (seed ${SEED}) hit the catch-all: ${problem.message}\n${JSON.stringify(candidate).slice(0, 2_000)}`);
        }
      }
      if (problems.length === 0) {
        valid++;
        try {
          assertRunnable(candidate);
          check('graph' in parseGraph(candidate), 'parseGraph refused it');
        } catch (error) {
          throw new Error(`case ${n} (seed ${SEED}) validated but is not runnable: ${String(error)}\n${JSON.stringify(candidate).slice(0, 2_000)}`, { cause: error });
        }
      } else {
        check('problems' in parseGraph(candidate), `parseGraph accepted case ${n}`);
      }
    }
    // The property would be empty if hardly anything validated.
    expect(valid).toBeGreaterThan(CASES / 20);
    expect(valid).toBeLessThan(CASES);
  });

  it('is deterministic', () => {
    const r = prng(SEED + 1);
    for (let n = 0; n < 200; n++) {
      const candidate = mutate(r, fixture, 1 + r.int(3));
      expect(validate(candidate)).toEqual(validate(JSON.parse(JSON.stringify(candidate))));
    }
  });
});

/** Expressions an attacker would type: deep nesting, long chains, odd unicode, unclosed everything. */
function hostileExpressions(r: Random): string[] {
  const tokens = ['(', ')', '[', ']', '{', '}', '"', "'", '`', '$', '$$', '.', ',', ':', '?', '&', '|', '~>', '=', '!=', '+', '*', '/', '%', '..', 'steps', 'input', 'a', '1', '\\', '\u0000', '\ud800', '\u202e', '🙂', ' ', 'function($x){$x}', '/(a+)+$/'];
  const deep = (open: string, middle: string, close: string, n: number) => open.repeat(n) + middle + close.repeat(n);
  const fixed = [
    deep('(', '1', ')', 10_000), '('.repeat(100_000), deep('[', '1', ']', 10_000), deep('{"a":', '1', '}', 10_000), deep('$string(', '1', ')', 5_000),
    deep('function($x){', '$x', '}', 2_000), `${'1+'.repeat(50_000)}1`, `steps.${'a.'.repeat(20_000)}b`, `input${'[0]'.repeat(20_000)}`, `${'-'.repeat(50_000)}1`,
    '"\u0000"', '"\ud800"', 'x\udfff', '\u202esteps.a.output', '`unclosed', '"unclosed', '/(a+)+$/', '$$$$', '$.$.$.$', 'input ~> $x ~> ', '($x := $x; $x)',
    'x'.repeat(1_000_000),
  ];
  const random = Array.from({ length: 2_000 }, () => Array.from({ length: 1 + r.int(200) }, () => r.pick(tokens)).join(r.chance(0.5) ? '' : ' '));
  return [...fixed, ...random];
}

/** A JSON value nested `depth` levels deep, built with a loop. */
function nested(depth: number, leaf: Json, kind: 'array' | 'object' | 'mixed'): Json {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = kind === 'array' || (kind === 'mixed' && i % 2 === 0) ? [value] : { k: value };
  return value;
}

describe('validate and expressionProblem on hostile input', () => {
  it('never throw on hostile expression strings, alone, in templates or in a graph', () => {
    const r = prng(SEED + 2);
    const expressions = hostileExpressions(r);
    for (const [n, expression] of expressions.entries()) {
      const where = `hostile expression ${n} (seed ${SEED + 2}): ${JSON.stringify(expression.slice(0, 120))}`;
      try {
        const problem = expressionProblem(expression);
        check(problem === undefined || (typeof problem === 'string' && problem.length > 0 && !/call stack/i.test(problem)), `${where}: problem ${String(problem)}`);
        templateExpressions(`a {{ ${expression} }} b {{`);
        const problems = validate({
          nodes: [
            { id: 'ok', type: 'condition', config: { expression } },
            { id: 'say', type: 'output', config: { value: `Hi {{ ${expression} }}` } },
          ],
          edges: [{ from: 'ok', port: 'true', to: 'say' }],
        });
        check(Array.isArray(problems) && problems.every((p) => !/call stack|could not be validated/i.test(p.message)), `${where}: ${JSON.stringify(problems).slice(0, 300)}`);
      } catch (error) {
        throw new Error(`${where} threw: ${String(error)}`, { cause: error });
      }
    }
  });

  it('never throws on structures nested 10,000 levels deep, anywhere in a graph', () => {
    const output = (value: Json): Json => ({ nodes: [{ id: 'done', type: 'output', config: { value } }], edges: [] });
    let mapInMap: Json = output('x');
    for (let i = 0; i < 1_000; i++) mapInMap = { nodes: [{ id: 'm', type: 'map', config: { items: 'input.items', graph: mapInMap } }], edges: [] };
    const candidates: [string, Json][] = [
      ['deep output value (arrays)', output(nested(10_000, 'x', 'array'))],
      ['deep output value (objects)', output(nested(10_000, '{{ input.x }}', 'object'))],
      ['deep http body', { nodes: [{ id: 'h', type: 'http', config: { url: 'https://example.test', body: nested(10_000, 1, 'mixed') } }], edges: [] }],
      ['deep nodes list', { nodes: nested(10_000, [], 'array'), edges: [] }],
      ['deep edges', { nodes: [{ id: 'a', type: 'output', config: { value: 1 } }], edges: nested(10_000, { from: 'a', to: 'a' }, 'array') }],
      ['map in map, 1,000 levels', mapInMap],
      ['deep graph itself', nested(10_000, { nodes: [], edges: [] }, 'object')],
      ['10,000 nodes in a chain', { nodes: Array.from({ length: 10_000 }, (_, i) => ({ id: `n${i}`, type: 'transform', config: { expression: 'input' } })), edges: Array.from({ length: 9_999 }, (_, i) => ({ from: `n${i}`, to: `n${i + 1}` })) }],
    ];
    for (const [name, candidate] of candidates) {
      let problems;
      try {
        problems = validate(candidate);
      } catch (error) {
        throw new Error(`${name} threw: ${String(error)}`, { cause: error });
      }
      // Each is refused (by a limit or a rule) with a named problem, or accepted as runnable.
      if (problems.length === 0) assertRunnable(candidate);
      else for (const problem of problems) check(typeof problem.message === 'string' && problem.message.length > 0, `${name}: malformed problem`);
    }
  });
});
