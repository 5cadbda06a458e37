// @lane unit
// A node's state is declared twice: by the engine (workflows/interpreter/state.ts, plain types,
// because workflow code loads no zod) and by the wire contract (contract/runs.ts, zod). The type
// check below fails `tsc` (and so `npm test`) when the two drift apart; the test checks that a
// state the engine writes parses with the contract's schema.
import { type AgentStep as WireAgentStep, NodeState as WireNodeState } from '../../contract/runs.ts';
import type { AgentStep, NodeState } from '../../workflows/interpreter/state.ts';
import type { z } from 'zod';

/** True only when each type is assignable to the other. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const nodeStatesAgree: Same<z.infer<typeof WireNodeState>, NodeState> = true;
const agentStepsAgree: Same<z.infer<typeof WireAgentStep>, AgentStep> = true;

describe('node state: engine and contract', () => {
  it('declare the same shape', () => {
    expect([nodeStatesAgree, agentStepsAgree]).toEqual([true, true]);
  });

  it('an agent node state as the engine writes it is what the contract describes', () => {
    const state: NodeState = {
      status: 'waiting',
      attempts: 1,
      startedAt: '2026-11-29T10:00:00.000Z',
      waiting: { message: 'Call lookup with {"q":1}?', form: [] },
      agent: {
        steps: [
          { index: 0, kind: 'model', status: 'succeeded', text: '', tokens: 12, costUsd: 0.0001, startedAt: '2026-11-29T10:00:00.000Z', endedAt: '2026-11-29T10:00:01.000Z' },
          { index: 1, kind: 'tool', status: 'waiting', tool: 'lookup', arguments: { q: 1 }, startedAt: '2026-11-29T10:00:01.000Z' },
        ],
      },
    };
    expect(WireNodeState.safeParse(state).success).toBe(true);
    expect(WireNodeState.safeParse({ ...state, agent: { steps: [{ ...state.agent!.steps[0], kind: 'thinking' }] } }).success).toBe(false);
  });
});
