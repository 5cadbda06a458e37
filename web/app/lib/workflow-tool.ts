// A workflow's "Use as a tool" settings as its settings dialog edits them: text boxes in, the API's
// `tool` field ({ name, description, inputSchema } or null) out. The API checks them fully
// (core/workflows/tool.ts); this catches what can be said before a round trip.
import { isToolName, parseJsonObject, toolNameFrom, type WorkflowToolSettings } from './agent-tools.ts';

export interface ToolSettingsDraft {
  enabled: boolean;
  name: string;
  description: string;
  /** The input schema as typed (JSON). */
  inputSchema: string;
}

const STARTER_SCHEMA = { type: 'object', properties: {} };

/** The dialog's starting point: the saved settings, or suggestions made from the workflow. */
export function draftFrom(tool: WorkflowToolSettings | null, workflow: { name: string; description: string | null }): ToolSettingsDraft {
  if (tool) return { enabled: true, name: tool.name, description: tool.description, inputSchema: JSON.stringify(tool.inputSchema, null, 2) };
  return { enabled: false, name: toolNameFrom(workflow.name), description: workflow.description ?? '', inputSchema: JSON.stringify(STARTER_SCHEMA, null, 2) };
}

export type ToolSettingsErrors = Partial<Record<'name' | 'description' | 'inputSchema', string>>;

/** The `tool` to save (null: not a tool), or what is wrong with the draft, by field. */
export function toolFromDraft(draft: ToolSettingsDraft): { tool: WorkflowToolSettings | null } | { errors: ToolSettingsErrors } {
  if (!draft.enabled) return { tool: null };
  const errors: ToolSettingsErrors = {};
  const name = draft.name.trim();
  if (!isToolName(name)) errors.name = 'must be 1 to 64 letters, digits, _ or -';
  const description = draft.description.trim();
  if (!description) errors.description = 'is required (clients and models choose tools by it)';
  const parsed = parseJsonObject(draft.inputSchema);
  let inputSchema: Record<string, unknown> | undefined;
  if ('error' in parsed) errors.inputSchema = parsed.error;
  else if (!parsed.value) errors.inputSchema = 'is required';
  else if (parsed.value.type !== 'object') errors.inputSchema = 'must have "type": "object" (tool arguments are an object)';
  else inputSchema = parsed.value;
  if (Object.keys(errors).length > 0 || !inputSchema) return { errors };
  return { tool: { name, description, inputSchema } };
}

/** API problems on `tool.*` paths (e.g. 409 tool_name_taken on tool.name), by the dialog's fields. */
export function toolProblems(problems: readonly { path: string; message: string }[] | undefined): ToolSettingsErrors & { form?: string } {
  const errors: ToolSettingsErrors & { form?: string } = {};
  for (const { path, message } of problems ?? []) {
    const match = /^tool\.(name|description|inputSchema)(?:\.(.+))?$/.exec(path);
    if (match) errors[match[1] as keyof ToolSettingsErrors] ??= match[2] ? `${match[2]}: ${message}` : message;
    else errors.form ??= path ? `${path}: ${message}` : message;
  }
  return errors;
}
