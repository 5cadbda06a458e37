// The agent node: a chat model that may call tools (saved workflows, HTTP endpoints, remote MCP
// servers) for up to `maxSteps` model turns. Each turn and each tool call is its own durable step
// (workflows/interpreter/executors/agent.ts, docs/decisions/036-agent-node.md).
import type { z } from 'zod';
import { checkJsonSchemaBounds } from '../json-schema-bounds.ts';
import { defineNode, type ConfigOf, type Zod } from './types.ts';

/** What a model may call a tool: the names OpenAI-compatible servers accept. */
export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
export const MAX_AGENT_TOOLS = 32;
export const MAX_AGENT_STEPS = 32;

function jsonSchemaField(z: Zod, what: string) {
  return z
    .record(z.string(), z.unknown())
    .superRefine((schema, ctx) => {
      for (const problem of checkJsonSchemaBounds(schema)) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
    })
    .describe(what);
}

function agentTool(z: Zod) {
  const name = z.string().regex(TOOL_NAME, 'must be 1–64 letters, digits, _ or -');
  const approval = { requiresApproval: z.boolean().default(false).describe('Pause the run for a person to approve each call') };
  return z.discriminatedUnion('type', [
    z.object({
      type: z.literal('workflow'),
      workflowId: z.string().min(1).describe('A saved workflow of the team, run as a child run on its current version'),
      name,
      description: z.string().max(1_000).optional(),
      ...approval,
    }),
    z.object({
      type: z.literal('http'),
      name,
      description: z.string().min(1).max(1_000),
      method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']).default('GET'),
      url: z.string().min(1).describe('URL; "{{ }}" templates see the model\'s arguments as `args`, their strings percent-encoded'),
      headers: z.record(z.string(), z.string()).optional(),
      body: z.unknown().optional().describe('JSON body; templates see `args`'),
      inputSchema: jsonSchemaField(z, 'JSON Schema of the arguments the model gives'),
      credentialId: z.string().optional(),
      ...approval,
    }),
    z.object({
      type: z.literal('mcp'),
      url: z.string().url().describe('A remote MCP server (Streamable HTTP)'),
      credentialId: z.string().optional(),
      allow: z.array(name).min(1).max(MAX_AGENT_TOOLS).describe('The server\'s tools the agent may call'),
      ...approval,
    }),
  ]);
}

function agentConfig(z: Zod) {
  return z
    .object({
      model: z.string().min(1).default('gpt-4o-mini'),
      instructions: z.string().optional().describe('System message; may hold "{{ }}" templates'),
      prompt: z.string().min(1).describe('The task; may hold "{{ }}" templates'),
      credentialId: z.string().optional().describe('An "openai" team credential; the default provider otherwise'),
      temperature: z.number().min(0).max(2).optional(),
      maxTokens: z.number().int().min(1).max(200_000).optional().describe('Per model turn'),
      maxSteps: z.number().int().min(1).max(MAX_AGENT_STEPS).default(8).describe('Model turns at most; past them the node fails'),
      outputSchema: jsonSchemaField(z, 'When set, the final answer must be JSON matching this JSON Schema').optional(),
      tools: z.array(agentTool(z)).max(MAX_AGENT_TOOLS).default([]),
    })
    .superRefine((config, ctx) => {
      const seen = new Set<string>();
      config.tools.forEach((tool, i) => {
        const names = tool.type === 'mcp' ? tool.allow : [tool.name];
        for (const name of names) {
          if (seen.has(name)) ctx.addIssue({ code: 'custom', path: ['tools', i], message: `duplicate tool name "${name}"` });
          seen.add(name);
        }
      });
    });
}

export const agent = defineNode({
  type: 'agent',
  label: 'Agent',
  description:
    'A chat model that calls tools (saved workflows, HTTP endpoints, MCP servers) until it can answer. Each model turn and tool call is a durable step; the tool calls of one turn run at the same time (up to 8; a call that needs approval starts once approved). Output: { text, json?, steps: [{ tool, arguments, result, tokens, costUsd }], usage }.',
  kind: 'action',
  config: agentConfig,
  outputs: ['out'],
  defaults: { prompt: 'Answer {{ input }}', tools: [] },
  timeouts: { timeout: '10 minutes', heartbeat: '30 seconds' },
  expressionFields: [],
  templateFields: ['instructions', 'prompt'],
  // A workflow tool runs the saved workflow's graph as a child run.
  parsesGraphs: true,
  // A tool with requiresApproval pauses the node for a person's decision.
  asksDecisions: true,
});

export type AgentConfig = ConfigOf<typeof agent>;
export type AgentTool = z.infer<ReturnType<typeof agentTool>>;
export type HttpTool = Extract<AgentTool, { type: 'http' }>;
export type McpTool = Extract<AgentTool, { type: 'mcp' }>;
export type WorkflowTool = Extract<AgentTool, { type: 'workflow' }>;
