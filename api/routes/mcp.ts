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
import { UnauthorizedError } from '../../core/errors.ts';
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

export interface McpRouteDeps {
  platform: Platform;
  hub: RunEventHub;
  identity: Pick<Identity, 'limiter'>;
  guards: AuthMiddleware;
  config: Pick<Config, 'mcp' | 'web' | 'rateLimit' | 'http'>;
  logger: Logger;
}

const keyTeam = (req: Request) => (req.auth?.kind === 'key' ? req.auth.key.teamId : undefined);

export function mcpRoutes(deps: McpRouteDeps): Router {
  const { config, guards } = deps;
  const limiter = deps.identity.limiter;
  const router = apiRouter();
  const waits = createRunWaits({ events: deps.hub, runs: deps.platform.runs, workflows: deps.platform.workflows });

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
