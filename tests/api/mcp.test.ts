// Trellis as an MCP server (POST /mcp) with the SDK's own client against the real api and a real
// worker: API keys only (401 otherwise, 403 without runs:write), tools/list is exactly the key's
// team's tool workflows, tools/call runs the workflow and answers with its output (or its error,
// or its id and URL when it outlasts the wait), arguments are checked before any run starts.
// And the designer's "list tools" of a remote MCP server (tests/support/mcp-server.ts).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ErrorCode, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { createTeamMcpServer } from '../../core/mcp/server.ts';
import type { RunWaits } from '../../core/runs/wait.ts';
import { createUsageService } from '../../core/usage/service.ts';
import { createWorkflowService } from '../../core/workflows/service.ts';
import { createApp } from '../../api/app.ts';
import { createLogger } from '../../core/log.ts';
import type { Config } from '../../core/config.ts';
import { createCredentialService } from '../../core/credentials/service.ts';
import { createVault } from '../../core/credentials/vault.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig, testEnv } from '../support/env.ts';
import { signUp, type SignedUp } from '../support/identity.ts';
import { startMcpServer, type FakeMcpServer } from '../support/mcp-server.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import { startTestWorker } from '../support/worker.ts';

const PUBLIC_URL = 'http://app.trellis.test';
const nameSchema = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: false };

let smtp: TestSmtp;
let t: TestApp;
let config: Config;
let worker: Awaited<ReturnType<typeof startTestWorker>>;
const servers: Server[] = [];
let base: string;
let me: SignedUp;
let other: SignedUp;
let key: string;
let readOnlyKey: string;
let otherKey: string;
const clients: Client[] = [];

async function listen(app: ReturnType<typeof createApp>): Promise<string> {
  const server = app.listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise((r) => server.once('listening', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function connect(apiKey: string | undefined, at = base): Promise<Client> {
  const client = new Client({ name: 'mcp-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`${at}/mcp`), { requestInit: { headers: apiKey ? { Authorization: `Bearer ${apiKey}` } : {} } });
  await client.connect(transport);
  clients.push(client);
  return client;
}

async function createKey(user: SignedUp, scopes: string[]): Promise<string> {
  const created = await user.client.post(`/api/v1/teams/${user.personalTeamId}/api-keys`, { name: `mcp ${randomUUID().slice(0, 6)}`, scopes });
  expect(created.status).toBe(201);
  return created.body.key as string;
}

async function saveWorkflow(user: SignedUp, name: string, graph: object, tool?: object): Promise<string> {
  const created = await user.client.post(`/api/v1/teams/${user.personalTeamId}/workflows`, { name, graph, ...(tool ? { tool } : {}) });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

/** Polls `check` until it holds (never a fixed sleep). */
async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const runIdOf = (result: CallToolResult) => (result._meta as Record<string, string>)['trellis/runId'] as string;

beforeAll(async () => {
  smtp = await startTestSmtp();
  const taskQueue = `mcp-${randomUUID()}`;
  const secretKey = Buffer.alloc(32, 7).toString('base64');
  config = testConfig({ SMTP_URL: smtp.url, TEMPORAL_TASK_QUEUE: taskQueue, PUBLIC_URL, TRELLIS_HTTP_ALLOWLIST: '127.0.0.1', TRELLIS_SECRET_KEY: secretKey });
  t = await createTestApp(config);
  worker = await startTestWorker({ address: testEnv.temporalAddress, orm: t.orm, taskQueue, credentials: createCredentialService({ orm: t.orm, vault: createVault(secretKey) }).store });
  base = await listen(t.app);
  [me, other] = await Promise.all([signUp(t.app, smtp), signUp(t.app, smtp)]);
  [key, readOnlyKey, otherKey] = await Promise.all([createKey(me, ['runs:write', 'runs:read', 'workflows:read']), createKey(me, ['workflows:read', 'runs:read']), createKey(other, ['runs:write'])]);

  await saveWorkflow(me, 'Greeter', { nodes: [{ id: 'out', type: 'output', config: { value: { greeting: 'Hello {{ input.name }}' } } }], edges: [] }, { name: 'greet', description: 'Greets someone by name', inputSchema: nameSchema });
  await saveWorkflow(me, 'Failing', { nodes: [{ id: 'boom', type: 'transform', config: { expression: '$error("nope, " & input.name)' } }, { id: 'out', type: 'output', config: { value: 'never' } }], edges: [{ from: 'boom', to: 'out' }] }, { name: 'fails', description: 'Always fails', inputSchema: nameSchema });
  await saveWorkflow(me, 'Slow', { nodes: [{ id: 'wait', type: 'delay', config: { duration: '1h' } }, { id: 'out', type: 'output', config: { value: 'late' } }], edges: [{ from: 'wait', to: 'out' }] }, { name: 'slow', description: 'Takes an hour', inputSchema: { type: 'object' } });
  await saveWorkflow(me, 'Big', { nodes: [{ id: 'big', type: 'transform', config: { expression: '$pad("", 70000, "x")' } }, { id: 'out', type: 'output', config: { value: { text: '{{ steps.big.output }}' } } }], edges: [{ from: 'big', to: 'out' }] }, { name: 'big', description: 'A large output', inputSchema: { type: 'object' } });
  await saveWorkflow(me, 'Not a tool', { nodes: [{ id: 'out', type: 'output', config: { value: 1 } }], edges: [] });
  await saveWorkflow(other, 'Their greeter', { nodes: [{ id: 'out', type: 'output', config: { value: 'theirs' } }], edges: [] }, { name: 'greet', description: 'Another team\'s greeter', inputSchema: { type: 'object' } });
  await saveWorkflow(other, 'Their secret', { nodes: [{ id: 'out', type: 'output', config: { value: 'secret' } }], edges: [] }, { name: 'secret_tool', description: 'Only theirs', inputSchema: { type: 'object' } });
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
  await worker?.stop();
  await t?.close();
  await smtp?.close();
});

describe('POST /mcp authentication', () => {
  it('answers 401 with WWW-Authenticate without a key, with a bad key, and with a session token', async () => {
    const initialize = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
    const headers = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
    for (const [authorization, code] of [[undefined, 'api_key_required'], ['Bearer trk_not_a_real_key_000000000000', 'invalid_api_key'], [`Bearer ${me.token}`, 'api_key_required']] as const) {
      const response = await fetch(`${base}/mcp`, { method: 'POST', headers: { ...headers, ...(authorization ? { Authorization: authorization } : {}) }, body: initialize });
      expect({ authorization, status: response.status }).toEqual({ authorization, status: 401 });
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect((await response.json()).code).toBe(code);
    }
    // The SDK's client gives up with the status.
    await expect(connect(undefined)).rejects.toThrow(/401/);
    await expect(connect('trk_wrong')).rejects.toThrow(/401/);
  });

  it('refuses a key that may not start runs (403) and answers GET and DELETE with 405', async () => {
    await expect(connect(readOnlyKey)).rejects.toThrow(/403/);
    for (const method of ['GET', 'DELETE']) {
      const response = await fetch(`${base}/mcp`, { method, headers: { Authorization: `Bearer ${key}`, Accept: 'text/event-stream' } });
      expect(response.status).toBe(405);
      expect(response.headers.get('allow')).toBe('POST');
    }
  });
});

describe('POST /mcp tools', () => {
  it('lists exactly the team\'s tool workflows, with their schemas', async () => {
    const client = await connect(key);
    expect(client.getServerVersion()?.name).toBe('trellis');
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name)).toEqual(['big', 'fails', 'greet', 'slow']);
    expect(tools.find((tool) => tool.name === 'greet')).toMatchObject({ description: 'Greets someone by name', inputSchema: nameSchema });

    const theirs = await connect(otherKey);
    expect((await theirs.listTools()).tools.map((tool) => [tool.name, tool.description])).toEqual([['greet', 'Another team\'s greeter'], ['secret_tool', 'Only theirs']]);
  });

  it('lists tools in pages, the cursor being the last name sent', async () => {
    const workflows = createWorkflowService({ orm: t.orm, usage: createUsageService({ orm: t.orm }) });
    const unused = async () => {
      throw new Error('tools/list starts no run');
    };
    const server = createTeamMcpServer(
      { workflows, intake: { start: unused }, waits: { listen: unused } as unknown as RunWaits, waitMs: 1_000, publicUrl: PUBLIC_URL, version: 'test', toolsPage: 3 },
      { teamId: me.personalTeamId, keyId: 'key_test' },
    );
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: 'pages', version: '1' });
    await client.connect(clientSide);
    clients.push(client);
    const first = await client.listTools();
    expect(first.tools.map((tool) => tool.name)).toEqual(['big', 'fails', 'greet']);
    expect(first.nextCursor).toBe('greet');
    const second = await client.listTools({ cursor: first.nextCursor });
    expect(second.tools.map((tool) => tool.name)).toEqual(['slow']);
    expect(second.nextCursor).toBeUndefined();
    expect((await client.listTools({ cursor: 'zzz' })).tools).toEqual([]);
  });

  it('calls a tool: a run of the workflow (trigger mcp) whose output is the answer', async () => {
    const client = await connect(key);
    const result = (await client.callTool({ name: 'greet', arguments: { name: 'Ada' } })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ greeting: 'Hello Ada' });
    expect(JSON.parse((result.content[0] as { text: string }).text)).toEqual({ greeting: 'Hello Ada' });
    const run = await me.client.get(`/api/v1/teams/${me.personalTeamId}/runs/${runIdOf(result)}`);
    expect(run.body).toMatchObject({ status: 'succeeded', trigger: 'mcp', input: { name: 'Ada' } });

    // Another team's key reaches only its own workflow of the same tool name.
    const theirs = await connect(otherKey);
    const their = (await theirs.callTool({ name: 'greet', arguments: {} })) as CallToolResult;
    expect(JSON.parse((their.content[0] as { text: string }).text)).toBe('theirs');
    await expect(theirs.callTool({ name: 'fails', arguments: { name: 'x' } })).rejects.toMatchObject({ code: ErrorCode.InvalidParams });
  });

  it('answers an output too large to inline with its size and where to read it', async () => {
    const client = await connect(key);
    const result = (await client.callTool({ name: 'big', arguments: {} })) as CallToolResult;
    const runId = runIdOf(result);
    const outputUrl = `${PUBLIC_URL}/api/v1/teams/${me.personalTeamId}/runs/${runId}/output`;
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toEqual({ runId, status: 'succeeded', outputBytes: expect.any(Number), outputUrl });
    expect(result.structuredContent?.outputBytes).toBeGreaterThan(70_000);
    expect(JSON.stringify(result).length).toBeLessThan(2_000);
    // The URL's path is the API's: the key reads the whole output there.
    const whole = await me.client.withToken(key).get(new URL(outputUrl).pathname);
    expect(whole.status).toBe(200);
    expect(whole.body.output.text).toHaveLength(70_000);
  });

  it('answers a failed run with isError and its error', async () => {
    const client = await connect(key);
    const result = (await client.callTool({ name: 'fails', arguments: { name: 'Bob' } })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect((result.content[0] as { text: string }).text).toMatch(/failed: .*nope, Bob/);
    expect(result.structuredContent).toMatchObject({ status: 'failed', runId: runIdOf(result) });
  });

  it('refuses invalid arguments and unknown tools before any run starts', async () => {
    const client = await connect(key);
    const runsBefore = (await me.client.get(`/api/v1/teams/${me.personalTeamId}/runs?limit=100`)).body.items.length as number;
    const wrongType = (await client.callTool({ name: 'greet', arguments: { name: 5 } })) as CallToolResult;
    expect(wrongType.isError).toBe(true);
    expect((wrongType.content[0] as { text: string }).text).toMatch(/^Invalid arguments: \$\.name: expected string, got number 5/);
    const missing = (await client.callTool({ name: 'greet', arguments: { nom: 'Ada' } })) as CallToolResult;
    expect((missing.content[0] as { text: string }).text).toMatch(/\$\.name: is required but missing/);
    expect((missing.content[0] as { text: string }).text).toMatch(/\$\.nom: is not allowed/);
    const unknown = client.callTool({ name: 'nope', arguments: {} });
    await expect(unknown).rejects.toBeInstanceOf(McpError);
    await expect(unknown).rejects.toMatchObject({ code: ErrorCode.InvalidParams, message: expect.stringContaining('Unknown tool: nope') });
    expect((await me.client.get(`/api/v1/teams/${me.personalTeamId}/runs?limit=100`)).body.items).toHaveLength(runsBefore);
  });

  it('answers a run that outlasts the wait with its id and its URL in the web app', async () => {
    // A second api on the same services whose wait is short (TRELLIS_MCP_WAIT_MS).
    const quick = createApp({ config: { ...config, mcp: { ...config.mcp, waitMs: 500 } }, logger: createLogger({ level: 'silent', service: 'api-test' }), orm: t.orm, redis: t.redis, temporal: t.temporal });
    try {
      const client = await connect(key, await listen(quick));
      const result = (await client.callTool({ name: 'slow', arguments: {} })) as CallToolResult;
      expect(result.isError).toBeFalsy();
      const runId = runIdOf(result);
      const url = `${PUBLIC_URL}/t/${me.personalTeamId}/runs/${runId}`;
      expect(result.structuredContent).toEqual({ runId, status: 'running', url });
      expect((result.content[0] as { text: string }).text).toContain(url);
      const run = await me.client.get(`/api/v1/teams/${me.personalTeamId}/runs/${runId}`);
      expect(['queued', 'running']).toContain(run.body.status);
      expect((await me.client.post(`/api/v1/teams/${me.personalTeamId}/runs/${runId}/cancel`)).status).toBe(202);
    } finally {
      (quick.locals.close as () => void)();
    }
  });
});

describe('POST /mcp limits', () => {
  const rpc = (apiKey: string, body: unknown, at = base, signal?: AbortSignal) =>
    fetch(`${at}/mcp`, { method: 'POST', signal, headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' }, body: JSON.stringify(body) });
  const call = (id: number, name: string, args: object) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: args } });

  it('answers a plain tools/call without a session, and refuses a batch that would start several runs', async () => {
    const one = await rpc(key, call(1, 'greet', { name: 'Lin' }));
    expect(one.status).toBe(200);
    expect((await one.json()).result.structuredContent).toEqual({ greeting: 'Hello Lin' });

    const runsBefore = (await me.client.get(`/api/v1/teams/${me.personalTeamId}/runs?limit=100`)).body.items.length as number;
    const batch = await rpc(key, [call(1, 'greet', { name: 'A' }), call(2, 'greet', { name: 'B' })]);
    expect(batch.status).toBe(400);
    expect(await batch.json()).toMatchObject({ code: 'mcp_batch_too_large', problems: [{ path: '(body)' }] });
    const long = await rpc(key, Array.from({ length: 11 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'tools/list' })));
    expect((await long.json()).code).toBe('mcp_batch_too_large');
    expect((await me.client.get(`/api/v1/teams/${me.personalTeamId}/runs?limit=100`)).body.items).toHaveLength(runsBefore);
  });

  it('holds a slot per request in progress: over TRELLIS_MCP_CALLS_PER_KEY it answers 429 mcp_calls_limit, and a caller hanging up frees it', async () => {
    const single = createApp({ config: { ...config, mcp: { waitMs: 120_000, perKey: 1, perTeam: 100 } }, logger: createLogger({ level: 'silent', service: 'api-test' }), orm: t.orm, redis: t.redis, temporal: t.temporal });
    const created = await me.client.post(`/api/v1/teams/${me.personalTeamId}/api-keys`, { name: 'one at a time', scopes: ['runs:write'] });
    const slotKey = `trellis:mcp-slots:key:${created.body.id as string}`;
    try {
      const at = await listen(single);
      const hangUp = new AbortController();
      const waiting = rpc(created.body.key, call(1, 'slow', {}), at, hangUp.signal).catch((error: unknown) => error);
      await until(async () => (await t.redis.zcard(slotKey)) === 1, 'the first call holds its slot');

      const refused = await rpc(created.body.key, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, at);
      expect(refused.status).toBe(429);
      expect(refused.headers.get('retry-after')).toBe('1');
      expect(await refused.json()).toMatchObject({ code: 'mcp_calls_limit', detail: expect.stringContaining('TRELLIS_MCP_CALLS_PER_KEY') });
      // Another key of the team has its own slots.
      expect((await rpc(key, { jsonrpc: '2.0', id: 3, method: 'tools/list' }, at)).status).toBe(200);

      hangUp.abort();
      expect(await waiting).toMatchObject({ name: 'AbortError' });
      await until(async () => (await t.redis.zcard(slotKey)) === 0, 'the slot is freed');
      expect((await rpc(created.body.key, { jsonrpc: '2.0', id: 4, method: 'tools/list' }, at)).status).toBe(200);
    } finally {
      (single.locals.close as () => void)();
      // The slow run the hung-up call started keeps going: cancel it.
      const runs = (await me.client.get(`/api/v1/teams/${me.personalTeamId}/runs?limit=100`)).body.items as { runId: string; status: string }[];
      for (const run of runs.filter((r) => r.status === 'queued' || r.status === 'running')) await me.client.post(`/api/v1/teams/${me.personalTeamId}/runs/${run.runId}/cancel`);
    }
  });
});

describe('POST /api/v1/teams/:teamId/mcp/tools (the designer\'s "list tools")', () => {
  let open: FakeMcpServer;
  let locked: FakeMcpServer;
  beforeAll(async () => {
    [open, locked] = await Promise.all([startMcpServer(), startMcpServer({ token: 'remote-secret' })]);
  });
  afterAll(async () => {
    await Promise.all([open?.close(), locked?.close()]);
  });
  const list = (user: SignedUp, body: object) => user.client.post(`/api/v1/teams/${user.personalTeamId}/mcp/tools`, body);

  it('lists a remote server\'s tools with their schemas', async () => {
    const response = await list(me, { url: open.url });
    expect(response.status).toBe(200);
    expect(response.body.tools.map((tool: { name: string }) => tool.name)).toEqual(['lookup_weather', 'add', 'big', 'fail']);
    expect(response.body.tools[0]).toMatchObject({ description: 'The weather in a city today', inputSchema: { type: 'object', properties: { city: { type: 'string' } } } });
  });

  it('sends a team credential to its bound host, and names what went wrong otherwise', async () => {
    const credential = await me.client.post(`/api/v1/teams/${me.personalTeamId}/credentials`, { name: 'remote mcp', type: 'http_bearer', data: { token: 'remote-secret' }, allowedHosts: ['127.0.0.1'] });
    expect(credential.status).toBe(201);
    const ok = await list(me, { url: locked.url, credentialId: credential.body.id });
    expect(ok.status).toBe(200);
    expect(ok.body.tools).toHaveLength(4);

    const refused = await list(me, { url: locked.url });
    expect(refused.status).toBe(502);
    expect(refused.body).toMatchObject({ code: 'mcp_server_error', problems: [{ path: 'url' }] });
    expect(refused.body.detail).toContain('401');

    const missing = await list(me, { url: open.url, credentialId: 'cred_missing' });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({ code: 'credential_not_found', problems: [{ path: 'credentialId' }] });

    const metadata = await list(me, { url: 'http://169.254.169.254/mcp' });
    expect(metadata.status).toBe(400);
    expect(metadata.body.code).toBe('mcp_destination_refused');

    const invalid = await list(me, { url: 'ftp://example.com/mcp' });
    expect(invalid.status).toBe(400);
    expect(invalid.body).toMatchObject({ code: 'invalid_request', problems: [{ path: 'url' }] });
  });

  it('is for editors and keys with workflows:write only, of the team', async () => {
    const keyResponse = await me.client.withToken(readOnlyKey).post(`/api/v1/teams/${me.personalTeamId}/mcp/tools`, { url: open.url });
    expect(keyResponse.status).toBe(403);
    expect((await list(other, { url: open.url })).status).toBe(200);
    const otherTeam = await other.client.post(`/api/v1/teams/${me.personalTeamId}/mcp/tools`, { url: open.url });
    expect(otherTeam.status).toBe(404);
  });
});
