// @lane unit
// How the run view describes an agent's steps: order, headings, statuses, totals, the canvas line
// that says what the agent is doing now, and values cut to a readable size.
import { agentActivity, agentTotals, appendStreamed, formatUsd, orderedSteps, preview, stepBadgeStatus, stepHeading, stepStatusLabel, streamingTurnText, type AgentStep } from '../../web/app/lib/agent-steps.ts';

const at = '2026-11-29T10:00:00.000Z';
const model = (index: number, patch: Partial<AgentStep> = {}): AgentStep => ({ index, kind: 'model', status: 'succeeded', startedAt: at, ...patch });
const tool = (index: number, patch: Partial<AgentStep> = {}): AgentStep => ({ index, kind: 'tool', tool: 'lookup_order', status: 'succeeded', startedAt: at, ...patch });

describe('agent steps', () => {
  it('orders steps by index and names them', () => {
    const steps = [tool(1), model(2), model(0)];
    expect(orderedSteps(steps).map((s) => s.index)).toEqual([0, 1, 2]);
    expect(steps.map((s) => s.index)).toEqual([1, 2, 0]);
    expect(orderedSteps(undefined)).toEqual([]);
    expect(stepHeading(model(0))).toBe('Model turn');
    expect(stepHeading(tool(1))).toBe('Tool lookup_order');
  });

  it('says what a step is doing in words, and colours a rejection as a failure', () => {
    expect(stepStatusLabel(tool(1, { status: 'waiting' }))).toBe('waiting for approval');
    expect(stepStatusLabel(model(0, { status: 'running' }))).toBe('thinking');
    expect(stepStatusLabel(tool(1, { status: 'running' }))).toBe('calling');
    expect(stepStatusLabel(tool(1, { status: 'rejected' }))).toBe('rejected');
    expect(stepBadgeStatus(tool(1, { status: 'rejected' }))).toBe('failed');
    expect(stepBadgeStatus(tool(1, { status: 'waiting' }))).toBe('waiting');
  });

  it('adds up turns, calls, tokens and cost', () => {
    const totals = agentTotals([model(0, { tokens: 120, costUsd: 0.0001 }), tool(1), model(2, { tokens: 80, costUsd: 0.00005 })]);
    expect(totals).toEqual({ modelTurns: 2, toolCalls: 1, tokens: 200, costUsd: expect.closeTo(0.00015, 10) });
    expect(formatUsd(0.00015)).toBe('$0.000150');
    expect(formatUsd(0)).toBe('$0.0000');
    expect(formatUsd(1.5)).toBe('$1.5000');
  });

  it('tells the canvas what the agent is doing now (streamed tokens speak while the model runs)', () => {
    expect(agentActivity([])).toBeUndefined();
    expect(agentActivity([model(0, { status: 'running' })])).toBeUndefined();
    expect(agentActivity([model(0), tool(1, { status: 'running' })])).toBe('step 2: calling lookup_order');
    expect(agentActivity([model(0), tool(1, { status: 'waiting' })])).toBe('step 2: lookup_order needs approval');
    expect(agentActivity([tool(1, { status: 'rejected' }), model(0)])).toBe('step 2: lookup_order rejected');
    expect(agentActivity([model(0), tool(1, { status: 'failed' })])).toBe('step 2: lookup_order failed');
    expect(agentActivity([model(0), tool(1), model(2)])).toBe('step 3: answered');
  });

  it("shows streamed text under the model turn it belongs to; a new turn starts afresh", () => {
    let streamed = appendStreamed(undefined, { text: 'Let me ', step: 0 });
    streamed = appendStreamed(streamed, { text: 'check.', step: 0 });
    expect(streamed).toEqual({ text: 'Let me check.', step: 0 });
    expect(streamingTurnText([model(0, { status: 'running' })], streamed)).toEqual({ step: 0, text: 'Let me check.' });
    // Turn 0 ended and a tool runs: nothing streams; turn 2 streams its own text only.
    expect(streamingTurnText([model(0), tool(1, { status: 'running' })], streamed)).toBeUndefined();
    streamed = appendStreamed(streamed, { text: 'The answer', step: 2 });
    expect(streamingTurnText([model(0), tool(1), model(2, { status: 'running' })], streamed)).toEqual({ step: 2, text: 'The answer' });
    // Text of a turn the steps do not show as running yet (events arrive out of order) waits.
    expect(streamingTurnText([model(0), tool(1, { status: 'running' })], streamed)).toBeUndefined();
    // An ai node's tokens carry no turn: they simply add up.
    expect(appendStreamed(appendStreamed(undefined, { text: 'a' }), { text: 'b' })).toEqual({ text: 'ab' });
  });

  it('shows values as JSON, cut at a limit', () => {
    expect(preview({ a: 1 })).toBe('{\n  "a": 1\n}');
    expect(preview('plain text')).toBe('plain text');
    expect(preview('x'.repeat(10), 4)).toBe('xxxx…');
    expect(preview(undefined)).toBe('undefined');
  });
});
