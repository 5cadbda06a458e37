// A client for remote MCP servers over Streamable HTTP, with the official SDK's Client and
// transport: the agent node lists and calls a server's tools, and the designer lists them.
// A server URL is user input, so every request (redirects included) goes through the http
// node's SSRF guard and pinned connection (createGuardedFetch); a team credential (http_bearer or
// http_header) is sent only to the hosts it is bound to. Each operation opens its own session and
// closes it, under one time-out (30 s); responses are read up to a byte cap; what goes wrong
// becomes a typed failure whose message never holds the credential.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike } from '@modelcontextprotocol/sdk/shared/transport.js';
import { CallToolResultSchema, ErrorCode, ListToolsResultSchema, McpError } from '@modelcontextprotocol/sdk/types.js';
import { ApplicationFailure } from '@temporalio/common';
import type { Logger } from '../core/log.ts';
import { requireCredentialHost } from './credential-hosts.ts';
import { currentContext, excerpt, FailureType, nonRetryable, redact, retryable, startHeartbeats, throwIfCancelled } from './failures.ts';
import { createGuardedFetch, createTransport, displayUrl, type CredentialStore } from './http.ts';
import type { LookupAll } from './ssrf.ts';
import { capToolResult } from './tool-result.ts';

export const MCP_TIMEOUT_MS = 30_000;
/** The most one response of an MCP server may hold (a tool list, a tool's result). */
export const MCP_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;
/** A server listing more tools than this is cut to these (the designer shows them; the agent picks a few). */
export const MCP_MAX_TOOLS = 256;
const MAX_LIST_PAGES = 10;
const MAX_DESCRIPTION_CHARS = 2_000;
const USER_AGENT = 'Trellis (+https://github.com/trellis)';

export interface McpServerRef {
  url: string;
  /** A team credential of type http_bearer or http_header. */
  credentialId?: string;
}

/** Who is asking: the team whose credentials apply; the run and node when an agent asks. */
export interface McpCall {
  teamId: string;
  runId?: string;
  nodeId?: string;
}

export interface McpToolInfo {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

export interface McpCallResult {
  /** The tool's structured content when it gave one, else its text (several blocks: the blocks), capped for the model. */
  content: unknown;
  isError: boolean;
}

export interface McpClientDeps {
  credentials: CredentialStore;
  /** TRELLIS_HTTP_ALLOWLIST: private hosts an MCP server may be on anyway. */
  allowlist: string[];
  /** TRELLIS_HTTP_PORTS. */
  ports?: string;
  lookup?: LookupAll;
  logger: Logger;
  timeoutMs?: number;
  maxResponseBytes?: number;
}

class TooLargeError extends Error {}

/** The response, its body cut off with an error past `maxBytes` (the SDK reads whole bodies otherwise). */
function capped(response: Response, maxBytes: number, onTooLarge: () => void): Response {
  if (!response.body) return response;
  let total = 0;
  const body = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        total += chunk.byteLength;
        if (total > maxBytes) {
          onTooLarge();
          controller.error(new TooLargeError());
        } else controller.enqueue(chunk);
      },
    }),
  );
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

export function createMcpClient(deps: McpClientDeps) {
  const transport = createTransport({ allowlist: deps.allowlist, ports: deps.ports, lookup: deps.lookup });
  const guardedFetch = createGuardedFetch(transport);
  const timeoutMs = deps.timeoutMs ?? MCP_TIMEOUT_MS;
  const maxResponseBytes = deps.maxResponseBytes ?? MCP_MAX_RESPONSE_BYTES;

  /** The URL, and the header the credential adds (checked against the hosts the credential may go to). */
  async function target(server: McpServerRef, call: McpCall): Promise<{ url: URL; headers: Record<string, string>; secrets: string[] }> {
    let url: URL;
    try {
      url = new URL(server.url);
    } catch {
      throw nonRetryable(FailureType.McpError, `"${excerpt(server.url, 200)}" is not a valid MCP server URL`);
    }
    if (url.username || url.password) {
      throw nonRetryable(FailureType.McpError, 'the MCP server URL contains a user name or password: use a credential (http_bearer or http_header) instead');
    }
    url.hash = '';
    if (!server.credentialId) return { url, headers: {}, secrets: [] };
    const credential = await deps.credentials.get(call.teamId, server.credentialId);
    if (!credential) throw nonRetryable(FailureType.CredentialNotFound, `credential "${server.credentialId}" was not found in this team`);
    const field = (name: string): string => {
      const value = credential.data[name];
      if (typeof value !== 'string' || value === '') {
        throw nonRetryable(FailureType.CredentialTypeMismatch, `credential "${server.credentialId}" (${credential.type}) has no "${name}"`);
      }
      return value;
    };
    let headers: Record<string, string>;
    let secrets: string[];
    if (credential.type === 'http_bearer') {
      const token = field('token');
      headers = { authorization: `Bearer ${token}` };
      secrets = [token];
    } else if (credential.type === 'http_header') {
      const value = field('value');
      headers = { [field('name').trim().toLowerCase()]: value };
      secrets = [value];
    } else {
      throw nonRetryable(
        FailureType.CredentialTypeMismatch,
        `credential "${server.credentialId}" is of type ${credential.type}; an MCP server takes an http_bearer or http_header credential`,
      );
    }
    requireCredentialHost(server.credentialId, credential, url);
    return { url, headers, secrets };
  }

  /** Runs `work` on a fresh session with the server, under the time-out and the activity's cancellation. */
  async function withSession<T>(server: McpServerRef, call: McpCall, what: string, work: (client: Client, options: { signal: AbortSignal; timeout: number }) => Promise<T>): Promise<T> {
    const context = currentContext();
    const cancel = context?.cancellationSignal;
    throwIfCancelled(cancel);
    const { url, headers, secrets } = await target(server, call);
    const host = displayUrl(url);
    const clean = (text: string) => redact(text, secrets);
    const deadline = AbortSignal.timeout(timeoutMs);
    // Aborted by the first failure the SDK would otherwise only report to onerror (and wait out).
    const fatal = new AbortController();
    let failure: Error | undefined;
    const fail = (error: Error) => {
      failure ??= error;
      fatal.abort(error);
    };
    const signal = AbortSignal.any([deadline, fatal.signal, ...(cancel ? [cancel] : [])]);

    const fetch: FetchLike = async (input, init = {}) => {
      const merged = new Headers(init.headers);
      for (const [name, value] of Object.entries(headers)) merged.set(name, value);
      merged.set('user-agent', USER_AGENT);
      const requestSignal = init.signal ? AbortSignal.any([init.signal, signal]) : signal;
      try {
        const response = await guardedFetch(input, { ...init, headers: merged, signal: requestSignal });
        return capped(response, maxResponseBytes, () =>
          fail(nonRetryable(FailureType.McpInvalidResponse, `the MCP server at ${host} sent a response larger than ${maxResponseBytes} bytes; it was not read`, { limit: maxResponseBytes })),
        );
      } catch (error) {
        // A destination the SSRF guard refused: final, whatever the SDK makes of it.
        if (error instanceof ApplicationFailure) fail(error);
        throw error;
      }
    };

    const client = new Client({ name: 'trellis', version: '1' }, { capabilities: {} });
    const sdkTransport = new StreamableHTTPClientTransport(url, { fetch });
    const stopHeartbeats = startHeartbeats(context);
    const startedAt = performance.now();
    try {
      await client.connect(sdkTransport, { signal, timeout: timeoutMs });
      const result = await work(client, { signal, timeout: timeoutMs });
      deps.logger.debug({ runId: call.runId, nodeId: call.nodeId, url: host, what, ms: Math.round(performance.now() - startedAt) }, 'mcp request');
      return result;
    } catch (error) {
      throwIfCancelled(cancel);
      if (failure) throw failure;
      if (error instanceof ApplicationFailure) throw error;
      if (deadline.aborted || (error instanceof McpError && error.code === (ErrorCode.RequestTimeout as number))) {
        throw retryable(FailureType.McpTimeout, `the MCP server at ${host} did not answer ${what} within ${timeoutMs} ms`);
      }
      throw mcpFailure(error, host, what, clean);
    } finally {
      stopHeartbeats();
      // Closing aborts whatever is still open (a notification stream); a failure to close changes nothing.
      await client.close().catch(() => undefined);
    }
  }

  /** The server's tools (following pages, up to MCP_MAX_TOOLS). */
  async function listTools(server: McpServerRef, call: McpCall): Promise<McpToolInfo[]> {
    return withSession(server, call, 'tools/list', async (client, options) => {
      const tools: McpToolInfo[] = [];
      let cursor: string | undefined;
      // A raw request: the SDK's listTools would also compile each tool's output schema.
      for (let page = 0; page < MAX_LIST_PAGES && tools.length < MCP_MAX_TOOLS; page++) {
        const result = await client.request({ method: 'tools/list', params: cursor ? { cursor } : {} }, ListToolsResultSchema, options);
        for (const tool of result.tools) {
          if (tools.length >= MCP_MAX_TOOLS) break;
          tools.push({ name: tool.name, description: excerpt(tool.description ?? tool.title ?? '', MAX_DESCRIPTION_CHARS), inputSchema: tool.inputSchema as Record<string, unknown> });
        }
        cursor = result.nextCursor;
        if (!cursor) break;
      }
      return tools;
    });
  }

  /** Calls one tool; a tool that reports an error (isError) is a result the model sees, not a failure. */
  async function callTool(server: McpServerRef, name: string, args: unknown, call: McpCall): Promise<McpCallResult> {
    if (args === null || typeof args !== 'object' || Array.isArray(args)) {
      throw nonRetryable(FailureType.AgentInvalidToolArguments, `the arguments of MCP tool "${excerpt(name, 64)}" must be a JSON object`);
    }
    return withSession(server, call, `tools/call ${excerpt(name, 64)}`, async (client, options) => {
      const result = await client.request({ method: 'tools/call', params: { name, arguments: args as Record<string, unknown> } }, CallToolResultSchema, options);
      return { content: capToolResult(contentOf(result)), isError: result.isError === true };
    });
  }

  return { listTools, callTool };
}

export type McpClient = ReturnType<typeof createMcpClient>;

/** What the model is given of a tool's result: structured content, else text, else the blocks (binary data left out). */
function contentOf(result: { content?: unknown[]; structuredContent?: unknown }): unknown {
  if (result.structuredContent !== undefined) return result.structuredContent;
  const blocks = (result.content ?? []) as { type: string; text?: string; mimeType?: string }[];
  if (blocks.every((block) => block.type === 'text')) return blocks.map((block) => block.text ?? '').join('\n');
  return blocks.map((block) => (block.type === 'text' ? block : { type: block.type, mimeType: block.mimeType, omitted: 'binary content is not given to the model' }));
}

/** An error of the SDK or the network as the failure Temporal acts on. */
function mcpFailure(error: unknown, host: string, what: string, clean: (text: string) => string): Error {
  if (error instanceof StreamableHTTPError) {
    const status = error.code ?? 0;
    const message = `the MCP server at ${host} answered ${what} with HTTP ${status}: ${clean(excerpt(error.message, 300))}`;
    if (status === 408 || status === 429 || status >= 500) return retryable(FailureType.McpUnavailable, message, { details: { status } });
    return nonRetryable(FailureType.McpError, message, { status });
  }
  if (error instanceof McpError) {
    if (error.code === (ErrorCode.ConnectionClosed as number)) {
      return retryable(FailureType.McpUnavailable, `the MCP server at ${host} closed the connection during ${what}`);
    }
    return nonRetryable(FailureType.McpError, `the MCP server at ${host} answered ${what} with an error (${error.code}): ${clean(excerpt(error.message, 300))}`, { code: error.code });
  }
  const err = error as Error & { code?: string; cause?: { code?: string } };
  if (err?.name === 'ZodError' || err?.name === 'SyntaxError') {
    return nonRetryable(FailureType.McpInvalidResponse, `the MCP server at ${host} sent an answer to ${what} that is not valid MCP: ${clean(excerpt(err.message, 200))}`);
  }
  const code = err?.code ?? err?.cause?.code;
  return retryable(FailureType.McpUnavailable, `could not reach the MCP server at ${host} for ${what}${code ? ` (${code})` : `: ${clean(excerpt(String(err?.message ?? error), 200))}`}`);
}
