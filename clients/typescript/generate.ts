// Writes clients/typescript/operations.ts from the contract's route table (contract/routes.ts):
// each operation's method and path, and the names of its request and answer schemas. Run
// `npm run generate:client` after changing a route; tests/clients/operations.test.ts fails while
// the file on disk is not what this writes. Loaded by that script and that test only, never by
// the client (which loads no zod).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import * as common from '../../contract/common.ts';
import * as id from '../../contract/identity.ts';
import * as nt from '../../contract/notifications.ts';
import * as ops from '../../contract/ops.ts';
import * as pf from '../../contract/platform.ts';
import { ROUTES, type RouteSpec } from '../../contract/routes.ts';
import * as runs from '../../contract/runs.ts';

/** The contract modules: the alias the generated file imports each under, its file and its exports. */
const MODULES = [['common', 'common', common], ['id', 'identity', id], ['pf', 'platform', pf], ['runs', 'runs', runs], ['nt', 'notifications', nt], ['ops', 'ops', ops]] as const;

const names = new Map<unknown, string>();
for (const [alias, , module] of MODULES) {
  for (const [name, value] of Object.entries(module)) if (!names.has(value)) names.set(value, `${alias}.${name}`);
}

/** `alias.Name` of a schema the routes use; every one must be an export of a contract module. */
function nameOf(schema: z.ZodType, route: RouteSpec, part: string): string {
  const name = names.get(schema);
  if (!name) throw new Error(`${route.operationId}: its ${part} schema is not exported by a contract module (name it there)`);
  return name;
}

function typesOf(route: RouteSpec): string {
  const parts: string[] = [];
  if (route.query) parts.push(`query: QueryOf<typeof ${nameOf(route.query, route, 'query')}>`);
  if (route.body) parts.push(`body: z.input<typeof ${nameOf(route.body.schema, route, 'body')}>${route.body.required === false ? ' | undefined' : ''}`);
  // Each 2xx answer: its schema's type; JSON the contract leaves open (the OpenAPI document) is
  // unknown; no body or one that is not JSON (204, text) is void.
  const answers = Object.entries(route.responses)
    .filter(([status]) => Number(status) >= 200 && Number(status) < 300)
    .map(([status, response]) => (response.schema ? `z.infer<typeof ${nameOf(response.schema, route, `${status} answer`)}>` : response.contentType === 'application/json' ? 'unknown' : 'void'));
  parts.push(`answer: ${[...new Set(answers)].join(' | ') || 'void'}`);
  return `{ ${parts.join('; ')} }`;
}

/** The text of clients/typescript/operations.ts. */
export function renderOperations(routes: readonly RouteSpec[] = ROUTES): string {
  const table = routes.map((route) => `  ${route.operationId}: { method: '${route.method.toUpperCase()}', path: '${route.path}' },`);
  const types = routes.map((route) => `  ${route.operationId}: ${typesOf(route)};`);
  const imports = MODULES.map(([alias, file]) => `import type * as ${alias} from '../../contract/${file}.ts';`);
  return `// Generated from contract/routes.ts by clients/typescript/generate.ts (npm run generate:client):
// do not edit. Every operation by its operationId: its method and path (a plain table, so the
// client loads no zod at run time) and, as types only, its request and answer schemas.
import type { z } from 'zod';
${imports.join('\n')}

/** A query's fields as the api reads them (limit a number, not the text the URL carries), each optional. */
type QueryOf<S extends z.ZodType> = { [P in keyof z.input<S> & keyof z.output<S>]?: z.output<S>[P] };

export const OPERATIONS = {
${table.join('\n')}
} as const satisfies Record<string, { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; path: string }>;

/** Requests (z.input: what a caller may send) and answers (z.infer: what the api sends; a union when it has several 2xx answers) per operation. */
export interface OperationTypes {
${types.join('\n')}
}
`;
}

export const OPERATIONS_FILE = fileURLToPath(new URL('./operations.ts', import.meta.url));

if (import.meta.main) {
  writeFileSync(OPERATIONS_FILE, renderOperations());
  console.log(`wrote ${OPERATIONS_FILE}`);
}
