// The agent node: model turns and tool calls, each its own durable step (an activity, or a child
// run for a workflow tool), so a retry or a worker crash repeats none that completed
// (docs/decisions/036-agent-node.md). The run's AI limits travel with every model turn.
import { ApplicationFailure, condition, isCancellation, patched } from '@temporalio/workflow';
import type { AgentMessage, AgentToolCall, ToolSpec } from '../../../activities/agent.ts';
import type { AgentConfig, AgentTool } from '../../graph/nodes/agent.ts';
import { isBlobRef, type AgentStep, type NodeState } from '../state.ts';
import {
  activities,
  admitChildRuns,
  callContext,
  childRunInput,
  claimCheck,
  describeError,
  internal,
  notify,
  parseGraph,
  render,
  runChild,
  withRetry,
  type Executor,
} from '../node-runtime.ts';

/** What the model reads back of one tool result: the history carries every turn's messages. */
export const TOOL_RESULT_CHARS = 16_384;
/** What the live timeline keeps of a text or a result (the output keeps all of it). */
const TIMELINE_CHARS = 2_000;

export interface AgentOutputStep {
  tool: string;
  arguments: unknown;
  result: unknown;
  /** Tokens and cost of the model turn that asked for this call (on its first call only). */
  tokens: number;
  costUsd: number;
  status: 'succeeded' | 'failed' | 'rejected';
}

/** Runs recorded before this patch made a turn's tool calls one after another; they replay that way. */
export const PARALLEL_TOOL_CALLS_PATCH = 'agent-parallel-tool-calls';
/** Tool calls of one turn that run at once (a model may ask for dozens); the others wait their turn. */
export const MAX_PARALLEL_TOOL_CALLS = 8;

type ToolOutcome = { arguments: unknown; result: unknown; status: AgentOutputStep['status'] };
/** A call whose tool and arguments passed the checks, with its timeline step. */
type ReadyCall = { step: AgentStep; spec: ToolSpec; tool: AgentTool; args: unknown };
/** A call ready to run, or the outcome of one that cannot. */
type PreparedCall = { outcome: ToolOutcome } | ReadyCall;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters cut)`;
}

function preview(value: unknown): unknown {
  const text = typeof value === 'string' ? value : JSON.stringify(value ?? null);
  return text.length <= TIMELINE_CHARS ? value : clip(text, TIMELINE_CHARS);
}

function parseArguments(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    const value = JSON.parse(text || '{}') as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return { ok: false, error: 'the arguments must be a JSON object' };
    return { ok: true, value };
  } catch {
    return { ok: false, error: 'the arguments are not valid JSON' };
  }
}

export const agent: Executor<'agent'> = async (node, execution, runtime) => {
  const state = execution.nodes[node.id] as NodeState;
  state.attempts = 1;
  const config: AgentConfig = node.config;
  const rendered = (await render(execution, runtime, 'template', { instructions: config.instructions, prompt: config.prompt })) as { instructions?: unknown; prompt: unknown };
  const { agentPrepareTools, agentTurn, agentHttpTool, agentMcpTool } = activities(node);
  const call = callContext(node, execution, runtime);
  const key = execution.pathOf(node.id);
  const timeline: AgentStep[] = [];
  state.agent = { steps: timeline };

  const begin = (step: Omit<AgentStep, 'index' | 'startedAt' | 'status'>): AgentStep => {
    const entry: AgentStep = { index: timeline.length, status: 'running', startedAt: new Date().toISOString(), ...step };
    timeline.push(entry);
    execution.reportChange(node.id);
    return entry;
  };
  const end = (entry: AgentStep, status: AgentStep['status'], fields: Partial<AgentStep> = {}) => {
    Object.assign(entry, fields, { status, endedAt: new Date().toISOString() });
    execution.reportChange(node.id);
  };

  const specs: ToolSpec[] = config.tools.length === 0 ? [] : await withRetry(node, state, () => agentPrepareTools({ tools: config.tools, call }));
  const messages: AgentMessage[] = [];
  if (typeof rendered.instructions === 'string' && rendered.instructions) messages.push({ role: 'system', content: rendered.instructions });
  messages.push({ role: 'user', content: typeof rendered.prompt === 'string' ? rendered.prompt : JSON.stringify(rendered.prompt) });

  const steps: AgentOutputStep[] = [];
  const usage = { promptTokens: 0, completionTokens: 0, totalTokens: 0, costUsd: 0 };
  const settings = runtime.args.graph.settings;
  const offered = specs.map(({ name, description, parameters }) => ({ name, description, parameters }));

  for (let turn = 0; turn < config.maxSteps; turn++) {
    const step = begin({ kind: 'model' });
    let reply: Awaited<ReturnType<typeof agentTurn>>;
    try {
      reply = await withRetry(node, state, () =>
        agentTurn({
          config: { model: config.model, credentialId: config.credentialId, temperature: config.temperature, maxTokens: config.maxTokens, outputSchema: config.outputSchema },
          messages,
          tools: offered,
          call,
          step: step.index,
          // Read per attempt: the run's limits see what other nodes spent meanwhile.
          spend: { maxAiTokens: settings?.maxAiTokens, maxCostUsd: settings?.maxCostUsd, spent: { ...runtime.state.usage } },
        }),
      );
    } catch (error) {
      end(step, 'failed', { error: describeError(error).message });
      throw error;
    }
    runtime.state.usage.aiTokens += reply.usage.totalTokens;
    runtime.state.usage.costUsd += reply.costUsd;
    usage.promptTokens += reply.usage.promptTokens;
    usage.completionTokens += reply.usage.completionTokens;
    usage.totalTokens += reply.usage.totalTokens;
    usage.costUsd += reply.costUsd;
    end(step, 'succeeded', { text: clip(reply.text, TIMELINE_CHARS), tokens: reply.usage.totalTokens, costUsd: reply.costUsd });

    if (reply.toolCalls.length === 0) {
      const output = { text: reply.text, ...(reply.json === undefined ? {} : { json: reply.json }), steps, usage };
      return { output: await claimCheck(runtime, output) };
    }
    messages.push({
      role: 'assistant',
      content: reply.text || null,
      tool_calls: reply.toolCalls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })),
    });
    const record = (toolCall: AgentToolCall, i: number, outcome: ToolOutcome) => {
      steps.push({
        tool: toolCall.name, arguments: outcome.arguments, result: outcome.result, status: outcome.status,
        tokens: i === 0 ? reply.usage.totalTokens : 0, costUsd: i === 0 ? reply.costUsd : 0,
      });
      const text = typeof outcome.result === 'string' ? outcome.result : JSON.stringify(outcome.result ?? null);
      messages.push({ role: 'tool', tool_call_id: toolCall.id, content: clip(text, TOOL_RESULT_CHARS) });
    };
    if (patched(PARALLEL_TOOL_CALLS_PATCH)) {
      const outcomes = await callTogether(reply.toolCalls, turn);
      reply.toolCalls.forEach((toolCall, i) => record(toolCall, i, outcomes[i] as ToolOutcome));
    } else {
      for (const [i, toolCall] of reply.toolCalls.entries()) record(toolCall, i, await callInSequence(toolCall, `${turn}.${i}`));
    }
  }
  throw ApplicationFailure.create({
    type: 'AgentMaxSteps',
    message: `the agent used its ${config.maxSteps} model turns (maxSteps) without a final answer`,
    nonRetryable: true,
  });

  /**
   * A turn's tool calls at the same time: those that need no approval start at once (at most
   * MAX_PARALLEL_TOOL_CALLS together); the gated ones are put to a person one at a time (the node
   * waits for one decision at a time), each starting when approved. A turn asking for three
   * lookups waits for the slowest, not for their sum. Every started call is waited for, even
   * when the run is cancelled meanwhile, before the turn ends.
   */
  async function callTogether(toolCalls: AgentToolCall[], turn: number): Promise<ToolOutcome[]> {
    const checked = toolCalls.map(checkCall);
    const outcomes = checked.map((c) => ('outcome' in c ? c.outcome : undefined));
    const ready = (i: number) => checked[i] as ReadyCall;
    const start = async (i: number) => {
      outcomes[i] = await callTool(ready(i), `${turn}.${i}`, toolCalls[i]!.id);
    };
    const free: number[] = [];
    const gated: number[] = [];
    for (const [i, call] of checked.entries()) if (!('outcome' in call)) (call.tool.requiresApproval ? gated : free).push(i);
    let next = 0;
    const lanes = Array.from({ length: Math.min(MAX_PARALLEL_TOOL_CALLS, free.length) }, async () => {
      while (next < free.length) await start(free[next++] as number);
    });
    const approved: Promise<void>[] = [];
    const settled = await Promise.allSettled([
      ...lanes,
      (async () => {
        for (const i of gated) {
          const { step, spec, args } = ready(i);
          const decision = await approve(step, spec.name, args);
          if (decision.decision !== 'approve') {
            outcomes[i] = rejected(step, args, decision.comment);
            continue;
          }
          const started = start(i);
          started.catch(() => undefined); // observed below; a rejection meanwhile must not count as unhandled
          approved.push(started);
        }
      })(),
    ]);
    const all = [...settled, ...(await Promise.allSettled(approved))];
    const cancelled = all.find((s) => s.status === 'rejected');
    if (cancelled) throw cancelled.reason; // callTool tells the model of every failure but a cancellation
    return outcomes as ToolOutcome[];
  }

  /**
   * One tool call, approval first when the tool asks for it: how runs recorded before
   * PARALLEL_TOOL_CALLS_PATCH call tools. Its awaits are those of that code, so they replay.
   */
  async function callInSequence(toolCall: AgentToolCall, slot: string): Promise<ToolOutcome> {
    const checked = checkCall(toolCall);
    if ('outcome' in checked) return checked.outcome;
    const { step, spec, tool, args } = checked;
    if (tool.requiresApproval) {
      const decision = await approve(step, toolCall.name, args);
      if (decision.decision !== 'approve') return rejected(step, args, decision.comment);
    }
    try {
      const result = await run(spec, tool, args, slot, toolCall.id);
      end(step, 'succeeded', { result: preview(result) });
      return { arguments: args, result, status: 'succeeded' };
    } catch (error) {
      return failed(step, args, error);
    }
  }

  /** Opens the call's step and checks its tool and arguments: the outcome of a call that cannot run. */
  function checkCall(toolCall: AgentToolCall): PreparedCall {
    const spec = specs.find((s) => s.name === toolCall.name);
    const parsed = parseArguments(toolCall.arguments);
    const args = parsed.ok ? parsed.value : toolCall.arguments;
    const step = begin({ kind: 'tool', tool: toolCall.name, arguments: preview(args) });
    if (!spec || !parsed.ok) {
      const error = !spec ? `there is no tool named "${toolCall.name}"` : parsed.ok ? '' : parsed.error;
      end(step, 'failed', { error });
      return { outcome: { arguments: args, result: { error }, status: 'failed' } };
    }
    return { step, spec, tool: toolOf(spec), args };
  }

  function rejected(step: AgentStep, args: unknown, comment: string | undefined): ToolOutcome {
    const result = { error: `a person rejected this call${comment ? `: ${comment}` : ''}` };
    end(step, 'rejected', { result });
    return { arguments: args, result, status: 'rejected' };
  }

  /** A failed call is told to the model, not thrown; a cancellation is thrown. */
  function failed(step: AgentStep, args: unknown, error: unknown): ToolOutcome {
    if (isCancellation(error)) throw error;
    const message = describeError(error).message;
    end(step, 'failed', { error: message });
    return { arguments: args, result: { error: message }, status: 'failed' };
  }

  /** Runs a checked (and approved) call. */
  async function callTool({ step, spec, tool, args }: ReadyCall, slot: string, callId: string): Promise<ToolOutcome> {
    try {
      const result = await run(spec, tool, args, slot, callId);
      end(step, 'succeeded', { result: preview(result) });
      return { arguments: args, result, status: 'succeeded' };
    } catch (error) {
      return failed(step, args, error);
    }
  }

  function toolOf(spec: ToolSpec): AgentTool {
    if (spec.source.type === 'workflow') {
      const workflowId = spec.source.workflowId;
      return config.tools.find((t) => t.type === 'workflow' && t.workflowId === workflowId && t.name === spec.name) as AgentTool;
    }
    return config.tools[spec.source.index] as AgentTool;
  }

  async function run(spec: ToolSpec, tool: AgentTool, args: unknown, slot: string, callId: string): Promise<unknown> {
    const source = spec.source;
    switch (source.type) {
      case 'workflow': {
        const loaded = await internal.loadWorkflowVersion({ teamId: runtime.args.teamId, workflowId: source.workflowId, toolCall: { tool: spec.name, args } });
        const childId = `${runtime.runId}.${key}.${slot}`;
        await admitChildRuns(runtime, 'subworkflow', childId, 1);
        const output = await runChild(runtime, childId, childRunInput(runtime, parseGraph(loaded.graph), loaded.version, source.workflowId, args, 'subworkflow'));
        // A large output went to blob storage: the model reads its beginning, not the reference.
        return isBlobRef(output) ? internal.readValueText({ teamId: runtime.args.teamId, ref: output, maxChars: TOOL_RESULT_CHARS }) : output;
      }
      case 'http':
        return withRetry(node, state, () => agentHttpTool({ tool: tool as Extract<AgentTool, { type: 'http' }>, args, call, callId }));
      case 'mcp': {
        const server = tool as Extract<AgentTool, { type: 'mcp' }>;
        return withRetry(node, state, () => agentMcpTool({ server: { url: server.url, credentialId: server.credentialId }, name: source.remoteName, args, call, allow: server.allow }));
      }
      default: {
        const exhaustive: never = source;
        return exhaustive;
      }
    }
  }

  /** Pauses the run until a person decides (the same update as approval nodes). */
  async function approve(step: AgentStep, tool: string, args: unknown) {
    const message = `Call ${tool} with ${clip(JSON.stringify(args), 1_000)}?`;
    step.status = 'waiting';
    state.status = 'waiting';
    state.waiting = { message, form: [] };
    execution.reportChange(node.id);
    // Started, not awaited, as for approval nodes.
    const notice = { teamId: runtime.args.teamId, workflowId: runtime.args.workflowId, runId: runtime.runId, nodeId: key, message };
    notify.notifyApprovalWaiting(notice).catch(() => undefined);
    await condition(() => runtime.decisions.has(key));
    const decision = runtime.decisions.get(key) as NonNullable<ReturnType<typeof runtime.decisions.get>>;
    // Taken, so the agent's next call that needs approval can be decided in its turn.
    runtime.decisions.delete(key);
    state.status = 'running';
    state.waiting = undefined;
    step.status = 'running';
    execution.reportChange(node.id);
    return decision;
  }
};
