// A workflow's tool settings: what MCP clients (POST /mcp, core/mcp/server.ts) and agents see of
// it. The input schema is a JSON Schema its editor wrote, so it must pass the same bounds as the
// ai node's structured output (workflows/graph/json-schema-bounds.ts) and compile with the same
// validator the arguments are later checked with (core/json-schema.ts).
// See docs/decisions/037-mcp-server-and-workflow-tools.md.
import type { z } from 'zod';
import { WorkflowToolSettings } from '../../contract/platform.ts';
import { compileJsonSchema } from '../json-schema.ts';
import { checkJsonSchemaBounds } from '../../workflows/graph/json-schema-bounds.ts';

export { TOOL_DESCRIPTION_MAX, TOOL_NAME } from '../../contract/platform.ts';

/** Problems of an input schema, paths relative to it; empty when it can be used. */
export function inputSchemaProblems(schema: Record<string, unknown>): { path: (string | number)[]; message: string }[] {
  // MCP requires an object schema: arguments are always an object.
  if (schema.type !== 'object') return [{ path: ['type'], message: 'must be "object" (tool arguments are an object)' }];
  const bounds = checkJsonSchemaBounds(schema);
  if (bounds.length > 0) return bounds.slice(0, 20).map((p) => ({ path: p.path, message: p.message }));
  try {
    compileJsonSchema(schema);
  } catch (error) {
    return [{ path: [], message: error instanceof Error ? error.message : String(error) }];
  }
  return [];
}

/** The contract's tool shape, plus the input schema's bounds (which need the JSON Schema compiler). */
export const WorkflowTool = WorkflowToolSettings.superRefine((tool, ctx) => {
  for (const problem of inputSchemaProblems(tool.inputSchema)) ctx.addIssue({ code: 'custom', path: ['inputSchema', ...problem.path], message: problem.message });
});
export type WorkflowTool = z.infer<typeof WorkflowTool>;
