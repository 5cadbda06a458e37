// A workflow's tool settings: what MCP clients (POST /mcp, core/mcp/server.ts) and agents see of
// it. The input schema is a JSON Schema its editor wrote, so it must pass the same bounds as the
// ai node's structured output (workflows/graph/json-schema-bounds.ts) and compile with the same
// validator the arguments are later checked with (activities/json-schema.ts).
// See docs/decisions/037-mcp-server-and-workflow-tools.md.
import { z } from 'zod';
import { compileJsonSchema } from '../../activities/json-schema.ts';
import { checkJsonSchemaBounds } from '../../workflows/graph/json-schema-bounds.ts';

/** MCP's and the model providers' tool name rule. */
export const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
export const TOOL_DESCRIPTION_MAX = 1_000;

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

export const WorkflowTool = z.strictObject({
  name: z.string().regex(TOOL_NAME, 'must be 1 to 64 letters, digits, _ or -'),
  description: z.string().trim().min(1, 'is required (clients and models choose tools by it)').max(TOOL_DESCRIPTION_MAX, `must be at most ${TOOL_DESCRIPTION_MAX} characters`),
  inputSchema: z.record(z.string(), z.unknown()).superRefine((schema, ctx) => {
    for (const problem of inputSchemaProblems(schema)) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
  }),
});
export type WorkflowTool = z.infer<typeof WorkflowTool>;
