// A local OpenAI-compatible server for tests: POST /v1/chat/completions (and /chat/completions)
// answering plain JSON, SSE streams (content chunks, a usage chunk, [DONE]) and json_schema
// requests (an example instance of the schema), with errors on demand. Tests never call a real
// provider.
//
// What it answers, first match wins:
//   1. the next entry of `fake.script` (push replies to it; each is used once);
//   2. markers in the last user message: `#status=429` (an error with that status),
//      `#retry-after=2` (a Retry-After header on that error), `#delay=300` (ms before answering),
//      `#code=insufficient_quota` (the error's code);
//   3. tool calling, when the request offers tools: after tool results (the last message is a
//      tool message) a text that quotes them, `Tool results: <content> | <content>`; else a call
//      of each offered tool whose name appears in the last user message, with the arguments of
//      `#args={"city":"Paris"}` (JSON without spaces) or an example of the tool's parameters;
//   4. a default reply: the JSON example of the requested schema, or `You said: <prompt>`.
// Tool calls (scripted with `toolCalls` or by rule 3) are streamed as OpenAI does: a first chunk
// with the id and name, then the arguments in fragments, and finish_reason "tool_calls".
// Every request is recorded in `fake.requests` (method, path, headers, parsed body).
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: FakeChatBody;
  /** Content chunks written to a streamed answer so far, and whether the answer is over (sent or cut off by the client). */
  chunks: number;
  closed: boolean;
}

export interface FakeToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface FakeMessage {
  role: string;
  content: string | null;
  tool_calls?: FakeToolCall[];
  tool_call_id?: string;
}

export interface FakeChatBody {
  model?: string;
  messages?: FakeMessage[];
  tools?: { type: string; function: { name: string; description?: string; parameters?: Record<string, unknown> } }[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  response_format?: { type: string; json_schema?: { name: string; schema: Record<string, unknown>; strict?: boolean } };
  temperature?: number;
  max_tokens?: number;
  max_completion_tokens?: number;
  [key: string]: unknown;
}

export interface FakeReply {
  /** HTTP status; >= 400 answers an OpenAI-style error body. Default 200. */
  status?: number;
  /** Extra response headers (e.g. retry-after). */
  headers?: Record<string, string>;
  /** Error message and code for error statuses. */
  error?: { message?: string; code?: string; type?: string };
  /** The assistant's text (default: schema example or an echo). */
  content?: string;
  /** Function calls to answer with (arguments: a JSON text, or a value to serialise); no text unless `content` is set. */
  toolCalls?: { name: string; arguments?: unknown; id?: string }[];
  /** The model reported in the response (default: the requested one). */
  model?: string;
  /** Usage to report (default: word counts). */
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  finishReason?: string;
  /** Wait before answering. */
  delayMs?: number;
  /** Answer only once this settles (a test's gate: waits for a state, not a time). */
  hold?: Promise<unknown>;
  /** Wait between streamed chunks. */
  chunkDelayMs?: number;
  /** Respond with this exact body (JSON) instead of a built completion. */
  raw?: unknown;
}

export interface FakeOpenAI {
  /** Base URL including /v1, for `new OpenAI({ baseURL })` or OPENAI_BASE_URL. */
  url: string;
  requests: FakeRequest[];
  /** Replies used in order, before markers and defaults. */
  script: FakeReply[];
  /** Forget recorded requests and scripted replies. */
  reset(): void;
  close(): Promise<void>;
}


/** A value matching a (subset) JSON Schema: first enum/const, every property, one array item. */
export function exampleFor(schema: unknown, root: unknown = schema, depth = 0): unknown {
  if (typeof schema !== 'object' || schema === null || depth > 20) return null;
  const s = schema as Record<string, unknown>;
  if (typeof s.$ref === 'string') {
    let node: unknown = root;
    for (const key of s.$ref.replace(/^#\/?/, '').split('/').filter(Boolean)) node = (node as Record<string, unknown>)?.[key];
    return exampleFor(node, root, depth + 1);
  }
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum)) return s.enum[0];
  if (Array.isArray(s.anyOf)) return exampleFor(s.anyOf[0], root, depth + 1);
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'string':
      return 'example';
    case 'integer':
      return typeof s.minimum === 'number' ? Math.ceil(s.minimum) : 1;
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : 1.5;
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'array':
      return [exampleFor(s.items, root, depth + 1)];
    case 'object':
    default: {
      const properties = (s.properties ?? {}) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, exampleFor(v, root, depth + 1)]));
    }
  }
}

const words = (text: string) => text.match(/\S+\s*/g) ?? [];

function markers(prompt: string): FakeReply | undefined {
  const find = (name: string) => new RegExp(`#${name}=(\\S+)`).exec(prompt)?.[1];
  const status = find('status');
  const retryAfter = find('retry-after');
  const delay = find('delay');
  const code = find('code');
  if (!status && !delay) return undefined;
  return {
    status: status ? Number(status) : undefined,
    headers: retryAfter ? { 'retry-after': retryAfter } : undefined,
    error: code ? { code, message: `fake error ${status}: ${code}` } : undefined,
    delayMs: delay ? Number(delay) : undefined,
  };
}

/** Rule 3: tool calls or a text quoting tool results, when the request offers tools. */
function toolRule(body: FakeChatBody, prompt: string): FakeReply | undefined {
  const tools = body.tools ?? [];
  const messages = body.messages ?? [];
  if (tools.length === 0) return undefined;
  const last = messages[messages.length - 1];
  if (last?.role === 'tool') {
    const results: string[] = [];
    for (let i = messages.length - 1; i >= 0 && messages[i]!.role === 'tool'; i--) results.unshift(messages[i]!.content ?? '');
    return { content: `Tool results: ${results.join(' | ')}` };
  }
  if (last?.role !== 'user') return undefined;
  const named = tools.filter((tool) => new RegExp(`(^|[^\\w-])${tool.function.name}($|[^\\w-])`).test(prompt));
  if (named.length === 0) return undefined;
  const args = /#args=(\S+)/.exec(prompt)?.[1];
  return {
    toolCalls: named.map((tool) => ({
      name: tool.function.name,
      arguments: args ?? JSON.stringify(exampleFor(tool.function.parameters ?? { type: 'object' })),
    })),
  };
}

function errorType(status: number): string {
  if (status === 401) return 'invalid_request_error';
  if (status === 429) return 'rate_limit_exceeded';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const requests: FakeRequest[] = [];
  const script: FakeReply[] = [];
  let counter = 0;
  // Pending delays, cleared on close so a delayed reply never outlives the server.
  const timers = new Set<NodeJS.Timeout>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = (req.url ?? '/').split('?')[0]!;
    if (req.method !== 'POST' || (path !== '/v1/chat/completions' && path !== '/chat/completions')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no route ${req.method} ${path}`, type: 'invalid_request_error' } }));
      return;
    }
    let body: FakeChatBody;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as FakeChatBody;
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'invalid JSON body', type: 'invalid_request_error' } }));
      return;
    }
    const request: FakeRequest = { method: req.method, path, headers: req.headers, body, chunks: 0, closed: false };
    requests.push(request);
    res.on('close', () => {
      request.closed = true;
    });
    const messages = body.messages ?? [];
    const prompt = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    const reply: FakeReply = script.shift() ?? markers(prompt) ?? toolRule(body, prompt) ?? {};
    if (reply.hold) await reply.hold;
    if (reply.delayMs) await sleep(reply.delayMs);
    if (res.destroyed) return;

    const status = reply.status ?? 200;
    if (status >= 400) {
      res.writeHead(status, { 'content-type': 'application/json', ...reply.headers });
      res.end(
        JSON.stringify({
          error: {
            message: reply.error?.message ?? `fake error ${status}`,
            type: reply.error?.type ?? errorType(status),
            param: null,
            code: reply.error?.code ?? null,
          },
        }),
      );
      return;
    }
    if (reply.raw !== undefined) {
      res.writeHead(status, { 'content-type': 'application/json', ...reply.headers });
      res.end(JSON.stringify(reply.raw));
      return;
    }

    const schema = body.response_format?.type === 'json_schema' ? body.response_format.json_schema?.schema : undefined;
    const id = `chatcmpl-fake-${++counter}`;
    const toolCalls: FakeToolCall[] = (reply.toolCalls ?? []).map((call, i) => ({
      id: call.id ?? `call_${counter}_${i}`,
      type: 'function',
      function: { name: call.name, arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments ?? {}) },
    }));
    const content = reply.content ?? (toolCalls.length > 0 ? '' : schema ? JSON.stringify(exampleFor(schema)) : `You said: ${prompt}`);
    const model = reply.model ?? body.model ?? 'fake-model';
    const pieces = words(content);
    const promptTokens = messages.reduce((n, m) => n + words(m.content ?? '').length + (m.tool_calls ? words(JSON.stringify(m.tool_calls)).length : 0), 0);
    const completionTokens = pieces.length + toolCalls.reduce((n, call) => n + 1 + Math.ceil(call.function.arguments.length / 8), 0);
    const usage = reply.usage ?? {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
    };
    const created = Math.floor(Date.now() / 1000);
    const finishReason = reply.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop');

    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json', ...reply.headers });
      res.end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: toolCalls.length > 0 && !content ? null : content, refusal: null, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) },
              finish_reason: finishReason,
              logprobs: null,
            },
          ],
          usage,
        }),
      );
      return;
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...reply.headers });
    const send = (data: unknown) => res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
    const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model,
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    });
    send(chunk({ role: 'assistant', content: '' }, null));
    for (const piece of pieces) {
      if (reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
      if (res.destroyed) return;
      send(chunk({ content: piece }, null));
      request.chunks++;
    }
    for (const [index, call] of toolCalls.entries()) {
      send(chunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] }, null));
      // The arguments in three fragments, as providers cut them anywhere.
      const text = call.function.arguments;
      const third = Math.ceil(text.length / 3);
      for (let at = 0; at < text.length; at += third) {
        if (reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
        if (res.destroyed) return;
        send(chunk({ tool_calls: [{ index, function: { arguments: text.slice(at, at + third) } }] }, null));
        request.chunks++;
      }
    }
    send(chunk({}, finishReason));
    if (body.stream_options?.include_usage) send({ id, object: 'chat.completion.chunk', created, model, choices: [], usage });
    send('[DONE]');
    res.end();
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: String(error), type: 'server_error' } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    script,
    reset() {
      requests.length = 0;
      script.length = 0;
    },
    close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      return new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
