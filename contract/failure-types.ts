// The failure types activities raise (ApplicationFailure.type): the names that cross Temporal into
// node errors (`NodeError.type`), so the interpreter, the api and the UI tell failures apart by
// these codes, never by message text. Zod-free, like run-status.ts: workflow code may import it.
// Raised by activities/failures.ts (nonRetryable/retryable).

/** The failure types activities raise; the interpreter and the UI may rely on these names. */
export const FailureType = {
  HttpClientError: 'HttpClientError',
  HttpServerError: 'HttpServerError',
  HttpRateLimited: 'HttpRateLimited',
  HttpTimeout: 'HttpTimeout',
  HttpNetworkError: 'HttpNetworkError',
  HttpInvalidRequest: 'HttpInvalidRequest',
  HttpDestinationRefused: 'HttpDestinationRefused',
  HttpDnsError: 'HttpDnsError',
  HttpTooManyRedirects: 'HttpTooManyRedirects',
  HttpResponseTooLarge: 'HttpResponseTooLarge',
  /** The worker's memory budget for buffered bodies stayed full (transient: retried). */
  HttpBufferBudgetExhausted: 'HttpBufferBudgetExhausted',
  HttpInvalidResponse: 'HttpInvalidResponse',
  CredentialNotFound: 'CredentialNotFound',
  CredentialTypeMismatch: 'CredentialTypeMismatch',
  /** A credential aimed at a host outside its allowed hosts (docs/decisions/021-credential-hosts.md). */
  CredentialHostNotAllowed: 'credential_host_not_allowed',
  AiConfigurationError: 'AiConfigurationError',
  AiRequestRejected: 'AiRequestRejected',
  AiAuthenticationError: 'AiAuthenticationError',
  AiRateLimited: 'AiRateLimited',
  AiQuotaExceeded: 'AiQuotaExceeded',
  AiServerError: 'AiServerError',
  AiConnectionError: 'AiConnectionError',
  AiTimeout: 'AiTimeout',
  AiInvalidJson: 'AiInvalidJson',
  AiSchemaMismatch: 'AiSchemaMismatch',
  // Spend and size limits of AI calls (docs/decisions/017-ai-spend.md): stable codes, named like the quotas.
  QuotaAiTokens: 'quota_ai_tokens',
  BudgetExceeded: 'budget_exceeded',
  ModelNotAllowed: 'model_not_allowed',
  AiOutputLimit: 'ai_output_limit',
  // Remote MCP servers (activities/mcp-client.ts) and the agent's tools (activities/agent.ts).
  /** The MCP server answered with an error (HTTP 4xx or a JSON-RPC error): not retried. */
  McpError: 'McpError',
  /** The MCP server could not be reached or failed (network, 5xx, 429): retried. */
  McpUnavailable: 'McpUnavailable',
  McpTimeout: 'McpTimeout',
  /** The MCP server's answer is not valid MCP, or is larger than the client reads. */
  McpInvalidResponse: 'McpInvalidResponse',
  /** A tool outside the node's `allow` list, or an allowed tool the server does not offer. */
  McpToolNotAllowed: 'mcp_tool_not_allowed',
  McpToolNotFound: 'mcp_tool_not_found',
  /** The model called a tool with arguments that are not a JSON object or do not match its input schema. */
  AgentInvalidToolArguments: 'AgentInvalidToolArguments',
  /** A tool's input schema is too large to offer to the model in every turn. */
  AgentToolSchemaLimit: 'agent_tool_schema_limit',
  /** A workflow tool's workflow is not (or no longer) in the team. */
  WorkflowNotFound: 'workflow_not_found',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];
