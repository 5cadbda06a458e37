// Trellis as an MCP server (docs/decisions/037-mcp-server-and-workflow-tools.md): the tools of one
// team are its workflows that carry tool settings (core/workflows/tool.ts). `tools/call` checks the
// arguments against the tool's input schema, starts a run through the one start path
// (core/runs/intake.ts, trigger "mcp") and waits for its answer like a webhook's `?wait=true`
// (core/runs/wait.ts); a run that outlasts the wait is answered with its id and URL.
// One server per request (stateless Streamable HTTP): api/routes/mcp.ts owns the transport.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { formatProblems, validateJsonSchema } from '../json-schema.ts';
import { UserError } from '../errors.ts';
import type { RunIntake } from '../runs/intake.ts';
import { newRunId } from '../runs/start-run.ts';
import type { RunAnswer, RunWaits } from '../runs/wait.ts';
import type { WorkflowService } from '../workflows/service.ts';
import { isBlobRef } from '../../workflows/interpreter/state.ts';

/** Tools per tools/list page. */
export const TOOLS_PAGE = 50;

export interface McpServerDeps {
  workflows: Pick<WorkflowService, 'listTools' | 'findTool'>;
  intake: Pick<RunIntake, 'start'>;
  waits: RunWaits;
  /** How long tools/call waits for the run (TRELLIS_MCP_WAIT_MS). */
  waitMs: number;
  /** The web app's address (PUBLIC_URL): run links point at its run page. */
  publicUrl: string;
  version: string;
  /** Tools per tools/list page (TOOLS_PAGE). */
  toolsPage?: number;
}

/** Who calls: an API key of a team (api/routes/mcp.ts checked it may start runs). */
export interface McpCaller {
  teamId: string;
  keyId: string;
}

export function runUrl(publicUrl: string, teamId: string, runId: string): string {
  return `${publicUrl.replace(/\/$/, '')}/t/${encodeURIComponent(teamId)}/runs/${encodeURIComponent(runId)}`;
}

const text = (value: string): CallToolResult['content'][number] => ({ type: 'text', text: value });
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every result names its run, for a client that wants to look it up. */
const meta = (runId: string) => ({ 'trellis/runId': runId });

/**
 * A run's answer as a tool result: its output as JSON text (and structured when an object), or its
 * error. An output too large to travel with the run state (a blob, over TRELLIS_BLOB_THRESHOLD_BYTES)
 * is not inlined: the answer says where to read it (`outputUrl`, the API's GET …/runs/{runId}/output).
 */
export function toolResult(runId: string, answer: RunAnswer, outputUrl: string): CallToolResult {
  if ('output' in answer && isBlobRef(answer.output)) {
    const bytes = answer.output.bytes;
    return {
      content: [text(`Run ${runId} succeeded; its output (${bytes} bytes) is too large to return here: GET ${outputUrl} with your API key`)],
      structuredContent: { runId, status: 'succeeded', outputBytes: bytes, outputUrl },
      _meta: meta(runId),
    };
  }
  if ('output' in answer) {
    const output = answer.output === undefined ? null : answer.output;
    return { content: [text(JSON.stringify(output))], ...(isObject(output) ? { structuredContent: output } : {}), _meta: meta(runId) };
  }
  const error = typeof answer.error === 'string' ? answer.error : JSON.stringify(answer.error ?? null);
  return { isError: true, content: [text(`Run ${runId} ${answer.status}: ${error}`)], structuredContent: { runId, status: answer.status, error: answer.error ?? null }, _meta: meta(runId) };
}

export function createTeamMcpServer(deps: McpServerDeps, caller: McpCaller): McpServer {
  const mcp = new McpServer({ name: 'trellis', version: deps.version }, { capabilities: { tools: { listChanged: false } } });

  // In pages (a schema may be 64 KiB; a team may have hundreds of tools): the cursor is the last name sent.
  mcp.server.setRequestHandler(ListToolsRequestSchema, async (request) => {
    const after = request.params?.cursor;
    const size = deps.toolsPage ?? TOOLS_PAGE;
    const tools = await deps.workflows.listTools(caller.teamId, { ...(after ? { after } : {}), limit: size + 1 });
    const shown = tools.slice(0, size);
    return {
      tools: shown.map(({ tool }) => ({ name: tool.name, description: tool.description, inputSchema: tool.inputSchema as { type: 'object' } })),
      ...(tools.length > size ? { nextCursor: shown.at(-1)?.tool.name } : {}),
    };
  });

  mcp.server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const { name } = request.params;
    const args = request.params.arguments ?? {};
    const found = await deps.workflows.findTool(caller.teamId, name);
    if (!found) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${name}`);
    // Refused before any run starts: the caller (often a model) can correct itself from the message.
    let problems;
    try {
      problems = validateJsonSchema(found.tool.inputSchema, args);
    } catch (error) {
      return { isError: true, content: [text(`Invalid arguments: ${error instanceof Error ? error.message : String(error)}`)] };
    }
    if (problems.length > 0) return { isError: true, content: [text(`Invalid arguments: ${formatProblems(problems)}`)] };

    const runId = newRunId();
    const listener = await deps.waits.listen(runId);
    try {
      let started;
      try {
        started = await deps.intake.start(caller.teamId, { workflowId: found.workflowId, input: args, trigger: 'mcp', triggeredBy: caller.keyId, runId });
      } catch (error) {
        // Quotas, limits: the tool's caller sees why no run started, with the stable code.
        if (error instanceof UserError) return { isError: true, content: [text(`${error.code}: ${error.message}`)] };
        throw error;
      }
      const answer = await listener.answer({ teamId: caller.teamId, workflowId: found.workflowId, runId: started.runId, fresh: true, timeoutMs: deps.waitMs, signal: extra.signal });
      if (answer) return toolResult(started.runId, answer, `${deps.publicUrl.replace(/\/$/, '')}/api/v1/teams/${encodeURIComponent(caller.teamId)}/runs/${encodeURIComponent(started.runId)}/output`);
      const url = runUrl(deps.publicUrl, caller.teamId, started.runId);
      return {
        content: [text(`Run ${started.runId} is still running after ${Math.round(deps.waitMs / 1000)} s; follow it at ${url}`)],
        structuredContent: { runId: started.runId, status: 'running', url },
        _meta: meta(started.runId),
      };
    } finally {
      listener.stop();
    }
  });

  return mcp;
}
