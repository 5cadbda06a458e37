// What custom field widgets may need beyond the node's config: the team, its workflows (with
// their tool settings) and its credentials, loaded once by the designer route.
import { createContext, useContext } from 'react';
import type { CredentialOption, ToolWorkflowOption } from '../../lib/agent-tools.ts';
import { isTrellisProblem } from '../../../../clients/typescript/index.ts';
import { browserTeamClient } from '../../lib/api.client.ts';
import type { Problem } from '../../lib/problems.ts';
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
 * "List tools" from the browser: `POST …/mcp/tools`, which connects to the server from the api
 * (SSRF-guarded there).
 */
export function mcpToolsLister(teamId: string): ListMcpTools {
  return async (server) => {
    try {
      return { tools: (await browserTeamClient(teamId).call('listRemoteMcpTools', { body: server })).tools };
    } catch (error) {
      if (isTrellisProblem(error)) return { problem: error.document };
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
