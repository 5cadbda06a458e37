// POST /mcp: Trellis as an MCP server over Streamable HTTP (JSON-RPC 2.0), stateless: every
// request gets a new server and transport (no session id), so any api replica can answer any
// request. Only API keys (`Authorization: Bearer trk_…`) of a team, allowed to start runs, may
// call it; the key's team's tool workflows are its tools (core/mcp/server.ts).
// GET (a server-to-client stream) and DELETE (ending a session) have nothing to do here: 405.
// Also the designer's helper POST /api/v1/teams/{teamId}/mcp/tools (a remote server's tools).
import type { IncomingMessage } from 'node:http';
import type { Request, RequestHandler, Router } from 'express';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Config } from '../../core/config.ts';
import { TooManyRequestsError, UnauthorizedError, UserError } from '../../core/errors.ts';
import { createStreamSlots } from '../../core/limits/streams.ts';
import type { Redis } from '../../core/redis/client.ts';
import type { Identity } from '../../core/identity.ts';
import { networkOf } from '../../core/limits/network.ts';
import type { Logger } from '../../core/log.ts';
import { createTeamMcpServer } from '../../core/mcp/server.ts';
import { ListRemoteToolsRequest, listRemoteTools } from '../../core/mcp/remote-tools.ts';
import { createMcpClient } from '../../activities/mcp-client.ts';
import type { Platform } from '../../core/platform.ts';
import { createRunWaits } from '../../core/runs/wait.ts';
import type { RunEventHub } from '../events.ts';
import type { AuthMiddleware } from '../middleware/authenticate.ts';
import { anonymousRule, applyDecision, principalRule } from '../middleware/rate-limit.ts';
import { parseBody } from '../middleware/validate.ts';
import { apiRouter } from './router.ts';

export const MCP_SERVER_VERSION = '1.0.0';
/** JSON-RPC messages in one POST (older clients may batch), of which at most one tools/call: one request, one run. */
export const MAX_BATCH = 10;

export interface McpRouteDeps {
  platform: Platform;
  hub: RunEventHub;
  identity: Pick<Identity, 'limiter'>;
  guards: AuthMiddleware;
  config: Pick<Config, 'mcp' | 'web' | 'rateLimit' | 'http'>;
  logger: Logger;
  redis: Redis;
}

/** Refuses a batch that would start several runs in one request (each request counts once against the rate limits). */
function requireSmallBatch(body: unknown): void {
  const messages: unknown[] = Array.isArray(body) ? body : [body];
  const calls = messages.filter((m) => typeof m === 'object' && m !== null && (m as { method?: unknown }).method === 'tools/call').length;
  if (messages.length > MAX_BATCH || calls > 1) {
    const message = `a batch may hold at most ${MAX_BATCH} messages and one tools/call`;
    throw new UserError('mcp_batch_too_large', `The request ${message.replace(/^a batch may/, 'may')}`, { problems: [{ path: '(body)', message }] });
  }
}

const keyTeam = (req: Request) => (req.auth?.kind === 'key' ? req.auth.key.teamId : undefined);

export function mcpRoutes(deps: McpRouteDeps): Router {
  const { config, guards } = deps;
  const limiter = deps.identity.limiter;
  const router = apiRouter();
  const waits = createRunWaits({ events: deps.hub, runs: deps.platform.runs, workflows: deps.platform.workflows });
  // Requests in progress per key and team, across replicas: a waiting tools/call holds a request,
  // a subscription and a socket. A slot outlives the longest wait, so it never expires while held.
  const slots = createStreamSlots({ redis: deps.redis, logger: deps.logger, ttlMs: config.mcp.waitMs + 60_000, keyPrefix: 'trellis:mcp-slots:' });

  // The API's limits: a refused credential counts against the caller's network, a valid key
  // against its own bucket, then requireTeamRole applies the team's plan rate.
  const authenticateKey: RequestHandler = async (req, res, next) => {
    try {
      req.auth = { kind: 'key', key: await guards.apiKeyOf(req), via: 'bearer' };
    } catch (error) {
      if (config.rateLimit.enabled && error instanceof UnauthorizedError) {
        applyDecision(res, await limiter.consume(anonymousRule(config.rateLimit), networkOf(req.ip)), 'rate_limited_ip', 'Too many requests from your network; slow down');
      }
      throw error;
    }
    if (config.rateLimit.enabled && req.auth.kind === 'key') {
      applyDecision(res, await limiter.consume(principalRule(config.rateLimit), `key:${req.auth.key.id}`), 'rate_limited', 'Too many requests with these credentials; slow down');
    }
    next();
  };

  router.post('/mcp', authenticateKey, guards.requireTeamRole('runs:write', keyTeam), async (req, res) => {
    const key = req.auth?.kind === 'key' ? req.auth.key : undefined;
    if (!key || !req.team) throw new UnauthorizedError();
    requireSmallBatch(req.body);
    const decision = await slots.acquire([
      { name: 'key', id: key.id, limit: config.mcp.perKey },
      { name: 'team', id: req.team.id, limit: config.mcp.perTeam },
    ]);
    if (!decision.allowed) {
      const limit = decision.rule.name === 'team' ? `${config.mcp.perTeam} per team (TRELLIS_MCP_CALLS_PER_TEAM)` : `${config.mcp.perKey} per API key (TRELLIS_MCP_CALLS_PER_KEY)`;
      throw new TooManyRequestsError('mcp_calls_limit', `Too many MCP requests in progress: the limit is ${limit}; wait for one to end`, 1);
    }
    const { slot } = decision;
    // Gone while the slot was taken: no close event is coming.
    if (res.closed) return void slot.release();
    const server = createTeamMcpServer(
      { workflows: deps.platform.workflows, intake: deps.platform.intake, waits, waitMs: config.mcp.waitMs, publicUrl: config.web.publicUrl, version: MCP_SERVER_VERSION },
      { teamId: req.team.id, keyId: key.id },
    );
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    transport.onerror = (error) => deps.logger.debug({ err: error.message }, 'mcp transport error');
    // The caller hung up, or the answer went out: a waiting tools/call stops waiting (its signal aborts).
    res.on('close', () => {
      void transport.close();
      void server.close();
      void slot.release();
    });
    await server.connect(transport);
    // Express's req.auth (our AuthContext) is not the SDK's AuthInfo; the handlers use the caller given above.
    await transport.handleRequest(req as unknown as IncomingMessage, res, req.body);
  });

  const notAllowed: RequestHandler = (_req, res) => {
    res.status(405).set('Allow', 'POST').json({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: this MCP server is stateless; send requests with POST' }, id: null });
  };
  router.get('/mcp', notAllowed);
  router.delete('/mcp', notAllowed);

  // The designer's "list tools" of a remote MCP server, with the agent's own guarded client.
  const client = createMcpClient({ credentials: deps.platform.credentials.store, allowlist: config.http.allowlist, ports: config.http.ports, logger: deps.logger });
  router.post('/api/v1/teams/:teamId/mcp/tools', guards.requireTeamRole('workflows:write'), async (req, res) => {
    const body = parseBody(ListRemoteToolsRequest, req.body);
    res.json(await listRemoteTools(client, req.team?.id as string, body));
  });
  return router;
}
