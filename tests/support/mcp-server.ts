// A local MCP server for tests, built with the official SDK (McpServer over a stateless
// StreamableHTTPServerTransport) on an ephemeral loopback port. Its tools:
//   lookup_weather { city }  → "Sunny, 21 °C in <city>"
//   add { a, b }             → structured content { sum }
//   big { bytes }            → a text of that many bytes (for caps)
//   fail {}                  → a tool error (isError: true)
// Every call is counted per tool (`calls`), so a test can assert a tool ran exactly once; every
// HTTP request is recorded with its headers. `token`: requests without `Authorization: Bearer
// <token>` are answered 401; `sse`: answers come as SSE streams instead of JSON bodies. `hold`: tools/call waits for it (a test's gate, never a sleep).
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

export interface FakeMcpServer {
  /** The endpoint, e.g. http://127.0.0.1:PORT/mcp. */
  url: string;
  /** Calls per tool name. */
  calls: Record<string, number>;
  /** Arguments of every call, in order. */
  received: { name: string; args: unknown }[];
  /** HTTP requests: method, JSON-RPC method (POST) and headers. */
  requests: { method: string; rpc?: string; headers: IncomingHttpHeaders }[];
  /** Set to make tools/call wait until it settles. */
  hold?: Promise<unknown>;
  reset(): void;
  close(): Promise<void>;
}

export async function startMcpServer(options: { token?: string; sse?: boolean } = {}): Promise<FakeMcpServer> {
  const fake: FakeMcpServer = {
    url: '',
    calls: {},
    received: [],
    requests: [],
    reset() {
      fake.calls = {};
      fake.received = [];
      fake.requests = [];
      fake.hold = undefined;
    },
    close: async () => undefined,
  };
  const count = async (name: string, args: unknown) => {
    fake.calls[name] = (fake.calls[name] ?? 0) + 1;
    fake.received.push({ name, args });
    if (fake.hold) await fake.hold;
  };

  function build(): McpServer {
    const server = new McpServer({ name: 'test-mcp', version: '1.0.0' });
    server.registerTool(
      'lookup_weather',
      { description: 'The weather in a city today', inputSchema: { city: z.string() } },
      async ({ city }) => {
        await count('lookup_weather', { city });
        return { content: [{ type: 'text', text: `Sunny, 21 °C in ${city}` }] };
      },
    );
    server.registerTool(
      'add',
      { description: 'Adds two numbers', inputSchema: { a: z.number(), b: z.number() }, outputSchema: { sum: z.number() } },
      async ({ a, b }) => {
        await count('add', { a, b });
        return { content: [{ type: 'text', text: String(a + b) }], structuredContent: { sum: a + b } };
      },
    );
    server.registerTool('big', { description: 'A long text', inputSchema: { bytes: z.number().int() } }, async ({ bytes }) => {
      await count('big', { bytes });
      return { content: [{ type: 'text', text: 'x'.repeat(bytes) }] };
    });
    server.registerTool('fail', { description: 'Always fails' }, async () => {
      await count('fail', {});
      return { content: [{ type: 'text', text: 'the tool failed on purpose' }], isError: true };
    });
    return server;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const body: unknown = text ? JSON.parse(text) : undefined;
    fake.requests.push({ method: req.method ?? '', rpc: (body as { method?: string } | undefined)?.method, headers: req.headers });
    if (options.token && req.headers.authorization !== `Bearer ${options.token}`) {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'unauthorized' }));
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    // Stateless: a server and a transport per request, as the SDK's stateless example does.
    const server = build();
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: !options.sse });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  const http = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: String(error) }));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  fake.url = `http://127.0.0.1:${port}/mcp`;
  fake.close = () => {
    http.closeAllConnections();
    return new Promise((resolve, reject) => http.close((error) => (error ? reject(error) : resolve())));
  };
  return fake;
}
