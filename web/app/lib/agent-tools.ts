// The agent node's tool list as the designer edits it: drafts that may be incomplete while typed
// (graph validation says what is missing), built from the team's workflows and credentials.
// Pure, so the picker's logic is tested without a browser.

/** The tool name rule of the agent node and of workflow tool settings (tests/web/agent-tools.test.ts keeps them equal). */
export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

export type ToolType = 'workflow' | 'http' | 'mcp';

/** One entry of the agent's `tools` array, loosely typed: the editor holds half-filled ones too. */
export type ToolDraft = Record<string, unknown> & { type: ToolType };

/** A workflow's tool settings (`tool` on the workflow; see docs/api.md). */
export interface WorkflowToolSettings {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

/** A team workflow the picker offers. */
export interface ToolWorkflowOption {
  id: string;
  name: string;
  description: string | null;
  tool: WorkflowToolSettings | null;
}

export interface CredentialOption {
  id: string;
  name: string;
  type: string;
}

export const TOOL_TYPE_LABELS: Record<ToolType, string> = { workflow: 'Workflow tool', http: 'HTTP tool', mcp: 'MCP server' };

/** Credential types each tool can send (the http node's, and a header or bearer token for MCP). */
const CREDENTIAL_TYPES: Record<'http' | 'mcp', readonly string[]> = {
  http: ['http_header', 'http_basic', 'http_bearer'],
  mcp: ['http_header', 'http_bearer'],
};

export function credentialsFor(kind: 'http' | 'mcp', credentials: readonly CredentialOption[]): CredentialOption[] {
  return credentials.filter((credential) => CREDENTIAL_TYPES[kind].includes(credential.type));
}

export function isToolName(name: string): boolean {
  return TOOL_NAME.test(name);
}

/** A name a model accepts, made from a workflow's name: "Look up order #12" → "look_up_order_12". */
export function toolNameFrom(text: string): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 64);
  return slug || 'tool';
}

/** Names the agent's tools already use (an MCP server contributes every allowed tool). */
export function usedNames(tools: readonly ToolDraft[], except?: number): Set<string> {
  const names = new Set<string>();
  tools.forEach((tool, i) => {
    if (i === except) return;
    if (tool.type === 'mcp') for (const name of (tool.allow as string[] | undefined) ?? []) names.add(name);
    else if (typeof tool.name === 'string') names.add(tool.name);
  });
  return names;
}

/** `base`, or `base_2`, `base_3`… when another tool has that name already (names must be unique). */
export function uniqueName(base: string, taken: Set<string>): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `_${n}`;
    const candidate = base.slice(0, 64 - suffix.length) + suffix;
    if (!taken.has(candidate)) return candidate;
  }
}

export function newTool(type: ToolType): ToolDraft {
  switch (type) {
    case 'workflow':
      return { type, workflowId: '', name: '', requiresApproval: false };
    case 'http':
      return { type, name: '', description: '', method: 'GET', url: 'https://', inputSchema: { type: 'object', properties: {} }, requiresApproval: false };
    case 'mcp':
      return { type, url: '', allow: [], requiresApproval: false };
  }
}

/**
 * The workflow tool after choosing `workflow`: its tool settings' name and description when it
 * has them (what MCP clients see too), else a name made from the workflow's name.
 */
export function pickWorkflow(tool: ToolDraft, workflow: ToolWorkflowOption | undefined, taken: Set<string>): ToolDraft {
  if (!workflow) return { ...tool, workflowId: '' };
  const name = uniqueName(workflow.tool?.name ?? toolNameFrom(workflow.name), taken);
  const description = workflow.tool?.description || workflow.description || undefined;
  const next: ToolDraft = { ...tool, workflowId: workflow.id, name };
  if (description) next.description = description;
  else delete next.description;
  return next;
}

/** What the workflow select shows: whether the workflow has tool settings (an input schema the model sees). */
export function workflowOptionLabel(workflow: ToolWorkflowOption): string {
  return workflow.tool ? `${workflow.name} — tool “${workflow.tool.name}”` : `${workflow.name} (no tool settings)`;
}

/** A tool's one-line title in the list. */
export function toolTitle(tool: ToolDraft): string {
  if (tool.type === 'mcp') {
    const allow = (tool.allow as string[] | undefined) ?? [];
    let host: string;
    try {
      host = new URL(String(tool.url)).host;
    } catch {
      host = '';
    }
    return `MCP server${host ? ` ${host}` : ''} · ${allow.length} tool${allow.length === 1 ? '' : 's'}`;
  }
  const name = typeof tool.name === 'string' && tool.name ? tool.name : 'unnamed';
  return `${TOOL_TYPE_LABELS[tool.type]} · ${name}`;
}

/** `allow` with `name` ticked or unticked, in the server's order (names it no longer lists stay at the end). */
export function toggleAllowed(allow: readonly string[], name: string, on: boolean, listed: readonly string[] = []): string[] {
  const set = new Set(allow);
  if (on) set.add(name);
  else set.delete(name);
  const inOrder = listed.filter((n) => set.has(n));
  return [...inOrder, ...[...set].filter((n) => !listed.includes(n))];
}

/** A JSON object typed into a box (headers, an input schema): an object or an error saying why not. */
export function parseJsonObject(text: string): { value: Record<string, unknown> | undefined } | { error: string } {
  if (text.trim() === '') return { value: undefined };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { error: `not valid JSON: ${(error as Error).message}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { error: 'must be a JSON object' };
  return { value: parsed as Record<string, unknown> };
}

/**
 * Graph-validation problems of the tools field, by tool: "1.name" → tool 1 gets "name: …".
 * Paths are relative to the field (the designer strips "nodes.N.config.tools.").
 */
export function problemsByTool(problems: readonly { path: string; message: string }[]): { byTool: Map<number, string[]>; general: string[] } {
  const byTool = new Map<number, string[]>();
  const general: string[] = [];
  for (const problem of problems) {
    const match = /^(\d+)(?:\.(.+))?$/.exec(problem.path);
    if (!match) {
      general.push(problem.message);
      continue;
    }
    const index = Number(match[1]);
    const list = byTool.get(index) ?? [];
    list.push(match[2] ? `${match[2]}: ${problem.message}` : problem.message);
    byTool.set(index, list);
  }
  return { byTool, general };
}
