// @lane unit
import { describeNodeBase, describeNodeTypes } from '../../../workflows/graph/describe.ts';
import { NODE_TYPES, nodeTypes } from '../../../workflows/graph/registry.ts';

describe('describeNodeTypes', () => {
  const described = describeNodeTypes();

  it('describes every registered type, in registry order', () => {
    expect(described.map((d) => d.type)).toEqual(NODE_TYPES);
  });

  it.each(NODE_TYPES)('%s has a label, help text, fields and a JSON schema with properties', (type) => {
    const d = described.find((x) => x.type === type);
    expect(d).toBeDefined();
    expect(d?.label).toBe(nodeTypes[type].label);
    expect(d?.description.length).toBeGreaterThan(10);
    expect(d?.configSchema).toMatchObject({ type: 'object' });
    const properties = d?.configSchema.properties as Record<string, unknown>;
    expect(Object.keys(properties).length).toBeGreaterThan(0);
    for (const field of [...(d?.expressionFields ?? []), ...(d?.templateFields ?? [])]) expect(properties).toHaveProperty(field.split('.')[0] as string);
  });

  it('gives static ports, and null where they depend on the config', () => {
    const ports = Object.fromEntries(described.map((d) => [d.type, d.ports]));
    expect(ports).toMatchObject({ http: ['out'], condition: ['true', 'false'], approval: ['approved', 'rejected', 'timed_out'], switch: null, output: [] });
  });

  it('describes configs as people write them: defaults are optional', () => {
    const http = described.find((d) => d.type === 'http')?.configSchema as { required: string[]; properties: Record<string, { default?: unknown }> };
    expect(http.required).toEqual(['url']);
    expect(http.properties.method?.default).toBe('GET');
  });

  it('returns plain JSON, a fresh copy each time', () => {
    expect(JSON.parse(JSON.stringify(described))).toEqual(described);
    const again = describeNodeTypes();
    (again[0] as { label: string }).label = 'changed';
    expect(describeNodeTypes()[0]?.label).toBe(nodeTypes.http.label);
  });

  it('describes the fields every node has', () => {
    expect(Object.keys(describeNodeBase().properties as object)).toEqual(['label', 'position', 'retry', 'timeout', 'onError']);
  });
});
