// What custom field widgets may need beyond the node's config: the team, its workflows (with
// their tool settings) and its credentials, loaded once by the designer route.
import { createContext, useContext } from 'react';
import type { CredentialOption, ToolWorkflowOption } from '../../lib/agent-tools.ts';
import { Problem } from '../../lib/problems.ts';
import type { McpToolInfo } from '../../lib/types.ts';

/** The tools a remote MCP server lists, or why they could not be listed. */
export type McpToolsAnswer = { tools: McpToolInfo[]; problem?: undefined } | { problem: Problem; tools?: undefined };
export type ListMcpTools = (server: { url: string; credentialId?: string }) => Promise<McpToolsAnswer>;

export interface DesignerResources {
  teamId: string;
  /** The workflow being edited (a tool list should not offer it to itself). */
  workflowId: string;
  workflows: ToolWorkflowOption[];
  /** Empty for viewers, who may not list credentials. */
  credentials: CredentialOption[];
  listMcpTools: ListMcpTools;
}

/**
 * "List tools" from the browser through the web server's /api proxy (the session cookie applies):
 * `POST …/mcp/tools`, which connects to the server from the api (SSRF-guarded there).
 */
export function mcpToolsLister(teamId: string): ListMcpTools {
  return async (server) => {
    try {
      const response = await fetch(`/api/v1/teams/${encodeURIComponent(teamId)}/mcp/tools`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(server),
      });
      const body: unknown = await response.json().catch(() => undefined);
      if (response.ok) return { tools: (body as { tools: McpToolInfo[] }).tools };
      const problem = Problem.safeParse(body);
      return { problem: problem.success ? problem.data : { title: `HTTP ${response.status}` } };
    } catch (error) {
      return { problem: { title: 'The request failed', detail: (error as Error).message } };
    }
  };
}

export const DesignerResourcesContext = createContext<DesignerResources>({
  teamId: '',
  workflowId: '',
  workflows: [],
  credentials: [],
  listMcpTools: async () => ({ problem: { title: 'Not available here' } }),
});

export function useDesignerResources(): DesignerResources {
  return useContext(DesignerResourcesContext);
}
