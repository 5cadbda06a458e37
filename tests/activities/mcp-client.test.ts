// @lane unit
// The MCP client against a local MCP server built with the SDK (loopback allowed through the
// allow-list, as the http node's tests do): listing and calling tools, credentials, the SSRF
// guard, the caps and the time-out, and what its failures say.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import type { CredentialStore } from '../../activities/http.ts';
import { createMcpClient, type McpClientDeps } from '../../activities/mcp-client.ts';
import { MAX_TOOL_RESULT_BYTES } from '../../activities/tool-result.ts';
import { startHttpTarget } from '../support/http-target.ts';
import { startMcpServer, type FakeMcpServer } from '../support/mcp-server.ts';
import { failureOf } from '../support/failures.ts';

const TOKEN = 'tok-SECRET-mcp-123';
let open: FakeMcpServer;
let guarded: FakeMcpServer;

const credentials: CredentialStore = {
  async get(teamId, id): ReturnType<CredentialStore['get']> {
    if (teamId !== 'team-1') return undefined;
    if (id === 'bearer') return { type: 'http_bearer', data: { token: TOKEN }, allowedHosts: ['127.0.0.1'] };
    if (id === 'wrong') return { type: 'http_bearer', data: { token: 'tok-SECRET-wrong-456' }, allowedHosts: ['127.0.0.1'] };
    if (id === 'header') return { type: 'http_header', data: { name: 'X-Api-Key', value: 'key-SECRET-789' }, allowedHosts: ['127.0.0.1'] };
    if (id === 'unbound') return { type: 'http_bearer', data: { token: TOKEN }, allowedHosts: null };
    if (id === 'openai') return { type: 'openai', data: { apiKey: 'sk-x' } };
    return undefined;
  },
};

const call = { teamId: 'team-1', runId: 'run-1', nodeId: 'agent' };

function client(overrides: Partial<McpClientDeps> = {}) {
  return createMcpClient({ credentials, allowlist: ['127.0.0.1'], logger: pino({ level: 'silent' }), ...overrides });
}

beforeAll(async () => {
  open = await startMcpServer();
  guarded = await startMcpServer({ token: TOKEN });
});

afterAll(async () => {
  await open.close();
  await guarded.close();
});

beforeEach(() => {
  open.reset();
  guarded.reset();
});

describe('mcp client', () => {
  it("lists a server's tools with their descriptions and input schemas", async () => {
    const tools = await client().listTools({ url: open.url }, call);
    expect(tools.map((tool) => tool.name).sort()).toEqual(['add', 'big', 'fail', 'lookup_weather']);
    const weather = tools.find((tool) => tool.name === 'lookup_weather')!;
    expect(weather.description).toBe('The weather in a city today');
    expect(weather.inputSchema).toMatchObject({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] });
    expect(open.requests.some((r) => r.rpc === 'tools/list')).toBe(true);
  });

  it('calls a tool once and gives back its text, or its structured content', async () => {
    const mcp = client();
    expect(await mcp.callTool({ url: open.url }, 'lookup_weather', { city: 'Lyon' }, call)).toEqual({ content: 'Sunny, 21 °C in Lyon', isError: false });
    expect(await mcp.callTool({ url: open.url }, 'add', { a: 2, b: 3 }, call)).toEqual({ content: { sum: 5 }, isError: false });
    expect(open.calls).toEqual({ lookup_weather: 1, add: 1 });
    expect(open.received).toEqual([
      { name: 'lookup_weather', args: { city: 'Lyon' } },
      { name: 'add', args: { a: 2, b: 3 } },
    ]);
  });

  it('reads answers streamed as server-sent events', async () => {
    const sse = await startMcpServer({ sse: true });
    try {
      const mcp = client();
      expect((await mcp.listTools({ url: sse.url }, call)).length).toBe(4);
      expect(await mcp.callTool({ url: sse.url }, 'add', { a: 20, b: 22 }, call)).toEqual({ content: { sum: 42 }, isError: false });
      expect(sse.calls).toEqual({ add: 1 });
    } finally {
      await sse.close();
    }
  });

  it("reports a tool's own error as a result, not a failure", async () => {
    expect(await client().callTool({ url: open.url }, 'fail', {}, call)).toEqual({ content: 'the tool failed on purpose', isError: true });
  });

  it('answers an unknown tool as a tool error, and refuses arguments that are not an object before any request', async () => {
    // The SDK's server answers an unknown tool as a tool error; a JSON-RPC error would fail the same way.
    const unknown = await client().callTool({ url: open.url }, 'nope', {}, call);
    expect(unknown.isError).toBe(true);
    open.reset();
    const bad = await failureOf(client().callTool({ url: open.url }, 'add', [1, 2], call));
    expect(bad).toMatchObject({ type: 'AgentInvalidToolArguments', nonRetryable: true });
    expect(open.requests).toHaveLength(0);
  });

  it('sends a bearer or header credential, and only to the hosts it is bound to', async () => {
    const tools = await client().listTools({ url: guarded.url, credentialId: 'bearer' }, call);
    expect(tools.length).toBeGreaterThan(0);
    expect(guarded.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);

    await client().listTools({ url: open.url, credentialId: 'header' }, call);
    expect(open.requests[0]!.headers['x-api-key']).toBe('key-SECRET-789');

    open.reset();
    const unbound = await failureOf(client().listTools({ url: open.url, credentialId: 'unbound' }, call));
    expect(unbound).toMatchObject({ type: 'credential_host_not_allowed', nonRetryable: true });
    const mismatch = await failureOf(client().listTools({ url: open.url, credentialId: 'openai' }, call));
    expect(mismatch).toMatchObject({ type: 'CredentialTypeMismatch', nonRetryable: true });
    const missing = await failureOf(client().listTools({ url: open.url, credentialId: 'ghost' }, call));
    expect(missing).toMatchObject({ type: 'CredentialNotFound' });
    expect(open.requests).toHaveLength(0);
  });

  it('fails without retry when the server refuses the credential, never naming the secret', async () => {
    const refused = await failureOf(client().listTools({ url: guarded.url, credentialId: 'wrong' }, call));
    expect(refused).toMatchObject({ type: 'McpError', nonRetryable: true });
    expect(refused.message).toContain('HTTP 401');
    expect(refused.message).not.toContain('SECRET');
    const none = await failureOf(client().listTools({ url: guarded.url }, call));
    expect(none).toMatchObject({ type: 'McpError', nonRetryable: true });
  });

  it('scrubs the credential from an error that echoes it', async () => {
    const echo = await startHttpTarget({
      '/mcp': (req, res) => res.writeHead(400, { 'content-type': 'text/plain' }).end(`bad header: ${req.headers.authorization}`),
    });
    try {
      const failure = await failureOf(client().listTools({ url: `${echo.url}/mcp`, credentialId: 'bearer' }, call));
      expect(failure).toMatchObject({ type: 'McpError', nonRetryable: true });
      expect(failure.message).toContain('bad header: Bearer [redacted]');
      expect(failure.message).not.toContain(TOKEN);
    } finally {
      await echo.close();
    }
  });

  it('refuses a private address outside the allow-list before any request', async () => {
    const refused = await failureOf(client({ allowlist: [] }).listTools({ url: open.url }, call));
    expect(refused).toMatchObject({ type: 'HttpDestinationRefused', nonRetryable: true });
    const metadata = await failureOf(client().callTool({ url: 'http://169.254.169.254/mcp' }, 'add', { a: 1, b: 2 }, call));
    expect(metadata).toMatchObject({ type: 'HttpDestinationRefused', nonRetryable: true });
    expect(open.requests).toHaveLength(0);
    const invalid = await failureOf(client().listTools({ url: 'not a url' }, call));
    expect(invalid).toMatchObject({ type: 'McpError', nonRetryable: true });
  });

  it('cuts a long tool result for the model, with a note', async () => {
    const result = await client().callTool({ url: open.url }, 'big', { bytes: 100_000 }, call);
    expect(typeof result.content).toBe('string');
    const text = result.content as string;
    expect(text.startsWith('x'.repeat(MAX_TOOL_RESULT_BYTES))).toBe(true);
    expect(text).toMatch(/\[cut: the result was 100000 bytes; only the first 65536 are shown\]$/);
  });

  it('stops reading a response over the byte cap', async () => {
    const failure = await failureOf(client({ maxResponseBytes: 20_000 }).callTool({ url: open.url }, 'big', { bytes: 50_000 }, call));
    expect(failure).toMatchObject({ type: 'McpInvalidResponse', nonRetryable: true });
    expect(failure.message).toContain('20000 bytes');
  });

  it('gives up on a server that does not answer in time, to be retried', async () => {
    let release!: () => void;
    open.hold = new Promise<void>((resolve) => (release = resolve));
    try {
      const failure = await failureOf(client({ timeoutMs: 1_000 }).callTool({ url: open.url }, 'lookup_weather', { city: 'Oslo' }, call));
      expect(failure).toMatchObject({ type: 'McpTimeout', nonRetryable: false });
      expect(failure.message).toContain('1000 ms');
    } finally {
      release();
    }
  });

  it('reports an unreachable server as retryable', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const failure = await failureOf(client().listTools({ url: `http://127.0.0.1:${port}/mcp` }, call));
    expect(failure).toMatchObject({ type: 'McpUnavailable', nonRetryable: false });
    expect(failure.message).toContain('ECONNREFUSED');
  });
});
