// The designer's "list tools" of a remote MCP server (POST /api/v1/teams/{teamId}/mcp/tools):
// the agent's own MCP client (activities/mcp-client.ts: SSRF guard, credential hosts, time-out,
// caps) asked from the api, its typed failures turned into problem+json with stable codes.
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../../contract/failure-types.ts';
import { UserError } from '../errors.ts';

export { ListRemoteToolsRequest } from '../../contract/platform.ts';
import type { ListRemoteToolsRequest, McpToolInfo } from '../../contract/platform.ts';

/** What this needs of activities/mcp-client.ts's client (core/ never imports activities/, ADR 042): the api hands the client in. */
export interface RemoteToolLister {
  listTools(server: ListRemoteToolsRequest, call: { teamId: string }): Promise<McpToolInfo[]>;
}

/** What went wrong, as [status, code, the request field it is about]. */
const FAILURES: Record<string, [number, string, string]> = {
  [FailureType.CredentialNotFound]: [400, 'credential_not_found', 'credentialId'],
  [FailureType.CredentialTypeMismatch]: [400, 'credential_type_mismatch', 'credentialId'],
  [FailureType.CredentialHostNotAllowed]: [400, 'credential_host_not_allowed', 'credentialId'],
  [FailureType.HttpDestinationRefused]: [400, 'mcp_destination_refused', 'url'],
  [FailureType.HttpDnsError]: [400, 'mcp_destination_refused', 'url'],
  [FailureType.McpTimeout]: [504, 'mcp_timeout', 'url'],
};

export async function listRemoteTools(client: RemoteToolLister, teamId: string, request: ListRemoteToolsRequest): Promise<{ tools: McpToolInfo[] }> {
  try {
    return { tools: await client.listTools(request, { teamId }) };
  } catch (error) {
    if (!(error instanceof ApplicationFailure)) throw error;
    // The server's own trouble (an error, unreachable, not MCP): a bad gateway, whatever its kind.
    const [status, code, path] = FAILURES[error.type ?? ''] ?? [502, 'mcp_server_error', 'url'];
    throw new UserError(code, error.message, { status, problems: [{ path, message: error.message }] });
  }
}
