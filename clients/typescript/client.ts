// The Trellis REST API (docs/api.md) as typed methods: fetch only, no dependencies. Errors come
// back as TrellisProblem (problem+json with its code and problems[]); live run events as an
// async iterator over the SSE stream that reconnects by itself.
import { OPERATIONS } from './operations.ts';
import { pathOf, type Answer, type CallArgs, type CallOptions, type OperationId, type Query } from './calls.ts';
import { problemFrom, TrellisProblem } from './problem.ts';
import { parseEventStream, type SseControl } from './sse.ts';
import type {
  CreateWorkflowRequest, Me, Page, Run, RunStreamEvent, StartRunRequest, UpdateWorkflowRequest, User, WorkflowListItem,
} from './types.ts';

/**
 * How requests authenticate: an API key (`trk_…`, scripts and services), a session token (from
 * login), both sent as Bearer, or a browser session's Cookie header forwarded by a server-side caller.
 */
export type TrellisAuth = { apiKey: string } | { sessionToken: string } | { cookie: string };

export interface TrellisClientOptions {
  /** The instance, e.g. http://localhost:3000 (the web app forwards /api) or the api itself. */
  baseUrl: string;
  auth?: TrellisAuth;
  /** Another fetch (tests, proxies); the global one by default. */
  fetch?: typeof fetch;
  /** Headers sent with every request (e.g. a User-Agent). */
  headers?: Record<string, string>;
}

export interface PageQuery {
  limit?: number;
  cursor?: string;
}

export interface RunEventsOptions {
  signal?: AbortSignal;
  /** Connections in a row that may fail (network error, 5xx) before the iterator gives up (default 5). */
  maxRetries?: number;
  /** The delay before a reconnection unless the server names one with `retry:` (default 1000 ms). */
  retryMs?: number;
}

type QueryValues = Record<string, string | number | boolean | undefined>;

interface RequestOptions {
  body?: unknown;
  query?: QueryValues;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export class TrellisClient {
  readonly baseUrl: string;
  readonly #auth: TrellisAuth | undefined;
  readonly #fetch: typeof fetch;
  readonly #headers: Record<string, string>;

  constructor(options: TrellisClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#auth = options.auth;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#headers = options.headers ?? {};
  }

  /** Signs in with email and password; the answer's token authenticates a new client ({ sessionToken }). */
  static async login(baseUrl: string, credentials: { email: string; password: string }, options: Omit<TrellisClientOptions, 'baseUrl' | 'auth'> = {}): Promise<{ token: string; user: User }> {
    return new TrellisClient({ ...options, baseUrl }).call('login', { body: credentials });
  }

  /** The signed-in user and their teams (sessions only: an API key has no user). */
  me(): Promise<Me> {
    return this.call('getMe');
  }

  /** Revokes the session this client signs in with. */
  async logout(): Promise<void> {
    await this.call('logout');
  }

  /** The routes of one team. */
  team(teamId: string): TeamClient {
    return new TeamClient(this, teamId);
  }

  /**
   * Any operation of the contract's route table by its operationId, typed from the contract:
   * `call('listMembers', { params: { teamId }, query: { limit: 100 } })` answers a MemberPage.
   */
  async call<K extends OperationId>(operationId: K, ...[options]: CallArgs<K>): Promise<Answer<K>> {
    const { params, ...rest } = (options ?? {}) as CallOptions<K> & { params?: Record<string, string | number> };
    return this.#request<Answer<K>>(OPERATIONS[operationId].method, pathOf(operationId, params), rest as RequestOptions);
  }

  /** Like call(), but the successful (2xx) Response itself: for its headers (e.g. Set-Cookie) or a body that is not JSON. */
  async callRaw<K extends OperationId>(operationId: K, ...[options]: CallArgs<K>): Promise<Response> {
    const { params, ...rest } = (options ?? {}) as CallOptions<K> & { params?: Record<string, string | number> };
    return this.#fetchRaw(OPERATIONS[operationId].method, pathOf(operationId, params), rest as RequestOptions);
  }

  /** JSON in, JSON out, a TrellisProblem for every error answer. */
  async #request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.#fetchRaw(method, path, options);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** A request whose answer was a success (2xx); its body is left to the caller. */
  async #fetchRaw(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    const headers: Record<string, string> = { accept: 'application/json', ...this.#headers, ...this.#authHeaders(), ...options.headers };
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const response = await this.#fetch(url, { method, headers, body, signal: options.signal, redirect: 'manual' });
    if (response.status >= 300) throw await problemFrom(response);
    return response;
  }

  #authHeaders(): Record<string, string> {
    const auth = this.#auth;
    if (!auth) return {};
    if ('apiKey' in auth) return { authorization: `Bearer ${auth.apiKey}` };
    if ('sessionToken' in auth) return { authorization: `Bearer ${auth.sessionToken}` };
    return { cookie: auth.cookie };
  }
}

export class TeamClient {
  readonly teamId: string;
  readonly #client: TrellisClient;

  constructor(client: TrellisClient, teamId: string) {
    this.#client = client;
    this.teamId = teamId;
  }

  /** call() for this team: `teamId` is filled in. */
  call<K extends OperationId>(operationId: K, ...[options]: CallArgs<K, 'teamId'>): Promise<Answer<K>> {
    const { params, ...rest } = (options ?? {}) as { params?: Record<string, string | number> };
    return (this.#client.call as (id: OperationId, options: object) => Promise<Answer<K>>)(operationId, { ...rest, params: { ...params, teamId: this.teamId } });
  }

  readonly workflows = {
    list: (query: Query<'listWorkflows'> = {}) => this.call('listWorkflows', { query }),
    /** Every workflow of the team, page after page. */
    all: (query: { q?: string } = {}): AsyncGenerator<WorkflowListItem> =>
      allPages((cursor) => this.workflows.list({ ...query, limit: 100, cursor })),
    get: (id: string) => this.call('getWorkflow', { params: { id } }),
    create: (input: CreateWorkflowRequest) => this.call('createWorkflow', { body: input }),
    /** A graph makes a new version; name, description and tool settings alone keep it. */
    update: (id: string, input: UpdateWorkflowRequest) => this.call('updateWorkflow', { params: { id }, body: input }),
    delete: (id: string) => this.call('deleteWorkflow', { params: { id } }),
    /** Newest first. */
    versions: async (id: string) => (await this.call('listWorkflowVersions', { params: { id } })).items,
    version: (id: string, version: number) => this.call('getWorkflowVersion', { params: { id, version } }),
  };

  readonly runs = {
    start: (workflowId: string, input: StartRunRequest = {}) => {
      const { idempotencyKey, ...body } = input;
      return this.call('startRun', { params: { id: workflowId }, body, headers: idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey } });
    },
    get: (runId: string) => this.call('getRun', { params: { runId } }),
    list: (query: Query<'listRuns'> = {}) => this.call('listRuns', { query }),
    /** The run's whole output (fetched from blob storage when it was too large to travel with the run). */
    output: async (runId: string): Promise<unknown> => (await this.call('getRunOutput', { params: { runId } })).output,
    nodeOutput: async (runId: string, nodeId: string): Promise<unknown> => (await this.call('getNodeOutput', { params: { runId, nodeId } })).output,
    cancel: (runId: string) => this.call('cancelRun', { params: { runId } }),
    /**
     * The run's live events until it ends: a snapshot first (again after every reconnection),
     * then node, token and finally run events. Breaking out of the loop closes the stream.
     */
    events: (runId: string, options: RunEventsOptions = {}): AsyncGenerator<RunStreamEvent> =>
      this.#events(runId, options),
  };

  readonly webhooks = {
    list: async (workflowId: string) => (await this.call('listWebhooks', { params: { id: workflowId } })).items,
  };

  async *#events(runId: string, options: RunEventsOptions): AsyncGenerator<RunStreamEvent> {
    const maxRetries = options.maxRetries ?? 5;
    const control: SseControl = {};
    let lastEventId: string | undefined;
    let failures = 0;
    for (;;) {
      let response: Response;
      try {
        response = await this.#client.callRaw('streamRunEvents', {
          params: { teamId: this.teamId, runId },
          headers: { accept: 'text/event-stream', ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }) },
          signal: options.signal,
        });
      } catch (error) {
        // A problem answer (404, 401, 429 …) is final unless the server is briefly unavailable.
        if (!retryable(error) || ++failures > maxRetries) throw error;
        await pause(control.retryMs ?? options.retryMs ?? 1_000, options.signal);
        continue;
      }
      failures = 0;
      let ended = false;
      try {
        for await (const message of parseEventStream(response.body!, control)) {
          lastEventId = message.id;
          const event = toEvent(message.event, message.data, message.id);
          if (!event) continue;
          yield event;
          if (event.type === 'run') {
            ended = true;
            break;
          }
        }
      } catch (error) {
        if (options.signal?.aborted) throw error;
        if (++failures > maxRetries) throw error;
      }
      if (ended) return;
      // The stream closed before the run ended (the server's lifetime cap, a restart, a proxy): reconnect.
      await pause(control.retryMs ?? options.retryMs ?? 1_000, options.signal);
    }
  }
}

function toEvent(type: string, data: string, id: string | undefined): RunStreamEvent | undefined {
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(data) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const withId = id === undefined ? {} : { id };
  switch (type) {
    case 'snapshot':
      return { type: 'snapshot', ...withId, run: payload as unknown as Run };
    case 'node':
    case 'token':
    case 'run':
    case 'reconnect':
      return { ...payload, type, ...withId } as RunStreamEvent;
    default:
      return undefined; // a newer server's event: ignored, not an error
  }
}

function retryable(error: unknown): boolean {
  if (error instanceof Error && error.name === 'AbortError') return false;
  if (error instanceof TrellisProblem) return error.status >= 500;
  return error instanceof TypeError; // fetch's network failure
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function* allPages<T>(page: (cursor: string | undefined) => Promise<Page<T>>): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const answer = await page(cursor);
    yield* answer.items;
    cursor = answer.nextCursor ?? undefined;
  } while (cursor);
}
