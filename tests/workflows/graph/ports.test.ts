// @lane unit
// The scheduler reads output ports from ports.ts (free of zod, ADR 030); the registry's node
// definitions are the reference. They must agree for every node type.
import { nodeOutputPorts } from '../../../workflows/graph/ports.ts';
import { NODE_TYPES, outputPorts } from '../../../workflows/graph/registry.ts';

describe('output ports without the registry', () => {
  it.each(NODE_TYPES)('%s has the registry\'s ports', (type) => {
    const config = { cases: [{ port: 'big', expression: 'input.n > 10' }, { port: 'small', expression: 'true' }] };
    expect(nodeOutputPorts(type, config)).toEqual(outputPorts(type, config as never));
  });

  it('gives a switch its case ports, then default', () => {
    expect(nodeOutputPorts('switch', { cases: [{ port: 'a', expression: '1' }] })).toEqual(['a', 'default']);
  });
});
