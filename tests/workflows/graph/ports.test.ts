// @lane unit
// The scheduler reads output ports and kinds from the registry itself (zod-free, ADR 030 and 038).
import { NODE_TYPES, kindOf, nodeTypes, outputPorts } from '../../../workflows/graph/registry.ts';

describe('output ports and kinds from the registry', () => {
  it('gives a switch its case ports, then default', () => {
    expect(outputPorts('switch', { cases: [{ port: 'a', expression: '1' }] })).toEqual(['a', 'default']);
  });

  it('gives static ports as a fresh copy', () => {
    const ports = outputPorts('condition', {});
    ports.push('changed');
    expect(outputPorts('condition', {})).toEqual(['true', 'false']);
  });

  it('counts approvals and delays, and only them, as waiting', () => {
    expect(NODE_TYPES.filter((type) => kindOf(type) === 'wait').sort()).toEqual(['approval', 'delay']);
    expect(kindOf('http')).toBe(nodeTypes.http.kind);
  });
});
