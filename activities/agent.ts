// The agent node's activities (docs/decisions/036-agent-node.md): the loop lives in the workflow
// (workflows/interpreter/executors/agent.ts); each model turn and each tool call is one of these.
// - agentPrepareTools: what the model is offered (a workflow tool's settings, an MCP server's
//   allowed tools, an HTTP tool's own schema);
// - agentTurn: one completion through the ai node's code (./ai-chat.ts): allowed model, the team's
//   and the run's budgets checked before it, streamed tokens, usage and cost;
// - agentHttpTool: an HTTP tool's templates rendered with the model's arguments as `args` in the
//   expression pool (percent-encoded in the URL), then the http node's own request path (SSRF
//   guard, ports, credentials, caps);
// - agentMcpTool: a call on a remote MCP server (./mcp-client.ts).
// What a tool gives back to the model is capped (./tool-result.ts).
import { createHash } from 'node:crypto';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { WorkflowDefinition } from '../core/workflows/entities.ts';
import type { Orm } from '../core/db/orm.ts';
import type { Logger } from '../core/log.ts';
import type { AgentTool, HttpTool, McpTool, WorkflowTool } from '../workflows/graph/nodes/agent.ts';
import type { ChatCompletions, ChatTool } from './ai-chat.ts';
import type { RunSpend } from './ai-spend.ts';
import type { AiUsage, ToolCall } from './ai-stream.ts';
import { excerpt, FailureType, nonRetryable } from './failures.ts';
import type { HttpActivities, NodeCallContext } from './http.ts';
import { compileJsonSchema, formatProblems, validateJsonSchema } from '../core/json-schema.ts';
import type { McpClient, McpServerRef } from './mcp-client.ts';
import { capToolResult } from './tool-result.ts';

export type { AgentTool, HttpTool, McpTool, WorkflowTool };

/** What the model is offered of one tool, and where a call of it goes. */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
  source: { type: 'workflow'; workflowId: string } | { type: 'http'; index: number } | { type: 'mcp'; index: number; remoteName: string };
}

export type AgentToolCall = ToolCall;

/** The conversation, as OpenAI's chat messages (the subset an agent uses). */
export type AgentMessage =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: { id: string; type: 'function'; function: { name: string; arguments: string } }[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export interface AgentTurnInput {
  config: { model: string; credentialId?: string; temperature?: number; maxTokens?: number; outputSchema?: Record<string, unknown> };
  messages: AgentMessage[];
  /** The tools offered (a ToolSpec fits; its source is not sent). */
  tools: ChatTool[];
  call: NodeCallContext;
  spend: RunSpend;
  /** This turn's index in the node's agent steps (its streamed tokens say so); absent in runs recorded before. */
  step?: number;
}

export interface AgentTurnOutput {
  text: string;
  toolCalls: AgentToolCall[];
  /** The final answer parsed and validated against outputSchema (a reply without tool calls only). */
  json?: unknown;
  model: string;
  usage: AiUsage;
  costUsd: number;
  finishReason?: string;
}

export interface AgentHttpToolInput {
  tool: HttpTool;
  args: unknown;
  call: NodeCallContext;
  /** The model's id of this call: requests of different calls get different Idempotency-Keys. */
  callId?: string;
}

export interface AgentMcpToolInput {
  server: McpServerRef;
  name: string;
  args: unknown;
  call: NodeCallContext;
  /** The node's `allow` list, checked again here when given. */
  allow?: string[];
}

/** A tool schema given to the model travels in every turn's input (the history): bounded. */
export const MAX_TOOL_SCHEMA_BYTES = 16 * 1024;
/** The most an HTTP tool's response may be (the model sees its first 64 KiB). */
export const AGENT_HTTP_MAX_RESPONSE_BYTES = 2 * 1024 * 1024;

export interface AgentDeps {
  orm: Orm;
  logger: Logger;
  chat: ChatCompletions;
  /** The http node's activities (one per worker: the same buffer budget). */
  http: Pick<HttpActivities, 'httpRequest'>;
  mcp: McpClient;
  /** Renders "{{ }}" templates in the expression pool (evaluateIsolated in ./index.ts), with its limits and failures. */
  renderTemplate: (input: { teamId: string; runId: string; value: unknown; context: Record<string, unknown> }) => Promise<unknown>;
}

function schemaOfSize(schema: Record<string, unknown>, what: string): Record<string, unknown> {
  const bytes = Buffer.byteLength(JSON.stringify(schema));
  if (bytes > MAX_TOOL_SCHEMA_BYTES) {
    throw nonRetryable(
      FailureType.AgentToolSchemaLimit,
      `the input schema of ${what} is ${bytes} bytes, over the limit of ${MAX_TOOL_SCHEMA_BYTES} bytes for a tool the model is offered`,
      { limit: 'tool_schema_bytes', maxBytes: MAX_TOOL_SCHEMA_BYTES },
    );
  }
  return schema;
}

/** The arguments with every string in them percent-encoded (encodeURIComponent), for URL templates. */
function percentEncodedStrings(value: unknown): unknown {
  if (typeof value === 'string') return encodeURIComponent(value);
  if (Array.isArray(value)) return value.map(percentEncodedStrings);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, percentEncodedStrings(v)]));
  return value;
}

/** Refuses (non-retryable, AgentInvalidToolArguments) arguments the tool's input schema does not accept: the model is told why. */
export function requireToolArguments(schema: Record<string, unknown>, args: unknown, tool: string): void {
  const problems = validateJsonSchema(schema, args);
  if (problems.length > 0) {
    throw nonRetryable(FailureType.AgentInvalidToolArguments, `the arguments of tool "${tool}" do not match its input schema: ${formatProblems(problems)}`, { problems });
  }
}

export function createAgentActivities(deps: AgentDeps) {
  /** The tools the model is offered, resolved once before the first turn. */
  async function agentPrepareTools(input: { tools: AgentTool[]; call: NodeCallContext }): Promise<ToolSpec[]> {
    const { call } = input;
    const specs: ToolSpec[] = [];
    const em = deps.orm.em.fork();
    for (const [index, tool] of input.tools.entries()) {
      if (tool.type === 'workflow') {
        const workflow = await em.findOne(WorkflowDefinition, { id: tool.workflowId, teamId: call.teamId, deletedAt: null });
        if (!workflow) {
          throw nonRetryable(FailureType.WorkflowNotFound, `the agent's tool "${tool.name}" runs workflow "${tool.workflowId}", which was not found in this team`);
        }
        const settings = workflow.tool;
        specs.push({
          name: tool.name,
          description: tool.description || settings?.description || workflow.description || `Runs the workflow "${workflow.name}"`,
          // A workflow without tool settings takes any object: its input is whatever the model sends.
          parameters: settings?.inputSchema ? schemaOfSize(settings.inputSchema, `workflow tool "${tool.name}"`) : { type: 'object' },
          source: { type: 'workflow', workflowId: tool.workflowId },
        });
      } else if (tool.type === 'http') {
        specs.push({ name: tool.name, description: tool.description, parameters: schemaOfSize(tool.inputSchema, `HTTP tool "${tool.name}"`), source: { type: 'http', index } });
      } else {
        const listed = await deps.mcp.listTools({ url: tool.url, credentialId: tool.credentialId }, call);
        const byName = new Map(listed.map((t) => [t.name, t]));
        for (const name of tool.allow) {
          const remote = byName.get(name);
          if (!remote) {
            const offered = listed.map((t) => t.name).slice(0, 20).join(', ') || 'no tools';
            throw nonRetryable(
              FailureType.McpToolNotFound,
              `the MCP server at ${excerpt(tool.url, 200)} has no tool "${name}" that the agent allows (it offers: ${offered})`,
              { tool: name },
            );
          }
          specs.push({
            name,
            description: remote.description || name,
            parameters: schemaOfSize(remote.inputSchema, `MCP tool "${name}"`),
            source: { type: 'mcp', index, remoteName: name },
          });
        }
      }
    }
    return specs;
  }

  /** One model turn: the shared completion with tools offered; a final answer checked against outputSchema. */
  async function agentTurn(input: AgentTurnInput): Promise<AgentTurnOutput> {
    const { config, call } = input;
    const startedAt = performance.now();
    const provider = await deps.chat.prepare({ model: config.model, credentialId: config.credentialId, call });
    // A schema outside the bounded subset fails before any spend.
    if (config.outputSchema) compileJsonSchema(config.outputSchema);
    const reply = await deps.chat.complete(provider, {
      model: config.model,
      messages: input.messages as ChatCompletionMessageParam[],
      temperature: config.temperature,
      maxTokens: config.maxTokens,
      jsonSchema: config.outputSchema,
      tools: input.tools.map(({ name, description, parameters }) => ({ name, description, parameters })),
      call,
      spend: input.spend,
      publish: deps.chat.publisher(call, input.step),
    });
    const output: AgentTurnOutput = { text: reply.text, toolCalls: reply.toolCalls, model: reply.model, usage: reply.usage, costUsd: reply.costUsd };
    if (reply.finishReason) output.finishReason = reply.finishReason;
    if (config.outputSchema && reply.toolCalls.length === 0) {
      const cutOff = reply.finishReason === 'length' ? ' (the reply was cut off at maxTokens: raise it)' : '';
      let json: unknown;
      try {
        json = JSON.parse(reply.text);
      } catch {
        throw nonRetryable(FailureType.AiInvalidJson, `the agent's final answer is not valid JSON${cutOff}: ${excerpt(reply.text, 200)}`);
      }
      const problems = validateJsonSchema(config.outputSchema, json);
      if (problems.length > 0) {
        throw nonRetryable(FailureType.AiSchemaMismatch, `the agent's final answer does not match its outputSchema: ${formatProblems(problems)}${cutOff}`, { problems });
      }
      output.json = json;
    }
    deps.logger.debug(
      { runId: call.runId, nodeId: call.nodeId, model: reply.model, usage: reply.usage, costUsd: reply.costUsd, toolCalls: reply.toolCalls.length, ms: Math.round(performance.now() - startedAt) },
      'agent turn',
    );
    return output;
  }

  /** An HTTP tool: its templates rendered with `args`, then the http node's request. */
  async function agentHttpTool(input: AgentHttpToolInput): Promise<{ status: number; body: unknown }> {
    const { tool, args, call } = input;
    requireToolArguments(tool.inputSchema, args, tool.name);
    const render = (value: unknown, context: Record<string, unknown>) => deps.renderTemplate({ teamId: call.teamId, runId: call.runId, value, context });
    // In the URL the model's strings arrive percent-encoded, so an argument cannot add a path
    // segment, a query parameter or a fragment ("tea&admin=1" stays one value).
    const [url, rendered] = await Promise.all([
      render(tool.url, { args: percentEncodedStrings(args) }),
      render({ headers: tool.headers ?? {}, body: tool.body }, { args }) as Promise<{ headers: unknown; body: unknown }>,
    ]);
    if (typeof url !== 'string') {
      throw nonRetryable(FailureType.HttpInvalidRequest, `the URL of HTTP tool "${tool.name}" rendered to a ${typeof url}, not a string`);
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries((rendered.headers ?? {}) as Record<string, unknown>)) {
      headers[name.trim().toLowerCase()] = typeof value === 'string' ? value : JSON.stringify(value);
    }
    // The http node keys a request by run, node and item; an agent makes several calls per node.
    const callKey = input.callId ?? createHash('sha256').update(`${tool.name}\0${JSON.stringify(args)}`).digest('hex').slice(0, 16);
    headers['idempotency-key'] ??= `${call.runId}:${call.nodeId}:${call.iteration}:${callKey}`;
    const response = await deps.http.httpRequest({
      config: {
        method: tool.method,
        url,
        headers,
        body: rendered.body,
        bodyType: 'json',
        responseType: 'auto',
        credentialId: tool.credentialId,
        maxResponseBytes: AGENT_HTTP_MAX_RESPONSE_BYTES,
      },
      call,
    });
    return { status: response.status, body: capToolResult(response.body) };
  }

  /** An MCP tool: one call on the remote server. */
  async function agentMcpTool(input: AgentMcpToolInput): Promise<{ content: unknown; isError: boolean }> {
    if (input.allow && !input.allow.includes(input.name)) {
      throw nonRetryable(FailureType.McpToolNotAllowed, `MCP tool "${excerpt(input.name, 64)}" is not in the agent's allow list`, { tool: input.name });
    }
    return deps.mcp.callTool(input.server, input.name, input.args, input.call);
  }

  return { agentPrepareTools, agentTurn, agentHttpTool, agentMcpTool };
}

export type AgentActivities = ReturnType<typeof createAgentActivities>;
