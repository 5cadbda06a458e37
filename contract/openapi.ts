// Generates the OpenAPI 3.1 document from the route table (contract/routes.ts) and the named
// schemas (contract/common.ts registries) with zod's own z.toJSONSchema: nothing here is
// hand-written JSON about a shape, so the document cannot drift from the contract.
import { z } from 'zod';
import { answers, requests } from './common.ts';
import { PATH_PARAMS, ROUTES, TAGS, type RouteSpec } from './routes.ts';

type Json = Record<string, unknown>;
const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` });

/** JSON Schema of the components, minus the per-schema $schema/$id zod adds; date-time patterns dropped (format says it). */
function components(registry: typeof answers, io: 'input' | 'output'): Record<string, Json> {
  const { schemas } = z.toJSONSchema(registry, { io, unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}`, override: tidy });
  const out: Record<string, Json> = {};
  for (const [id, schema] of Object.entries(schemas)) {
    const { $schema: _s, $id: _i, ...rest } = schema as Json;
    // The registry's own description (zod writes only .describe()/.meta() ones). _idmap: id → schema.
    const named = (registry as unknown as { _idmap: Map<string, z.ZodType> })._idmap.get(id);
    const description = named ? registry.get(named)?.description : undefined;
    out[id] = description && !rest.description ? { ...rest, description } : rest;
  }
  return out;
}

function tidy(ctx: { jsonSchema: Json }): void {
  const schema = ctx.jsonSchema;
  if (schema.format === 'date-time' || schema.format === 'date') delete schema.pattern;
  // z.int() bounds itself to the safe integers: noise in a reference.
  if (schema.type === 'integer' && schema.minimum === Number.MIN_SAFE_INTEGER) delete schema.minimum;
  if (schema.type === 'integer' && schema.maximum === Number.MAX_SAFE_INTEGER) delete schema.maximum;
}

function inline(schema: z.ZodType, io: 'input' | 'output'): Json {
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', override: tidy }) as Json;
  return rest;
}

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  const named = (io === 'output' ? answers : requests).get(schema)?.id;
  return named ? ref(named) : inline(schema, io);
}

function operation(route: RouteSpec): Json {
  const parameters: Json[] = [];
  for (const [, name = ''] of route.path.matchAll(/\{([^}]+)\}/g)) {
    parameters.push({ name, in: 'path', required: true, description: PATH_PARAMS[name] ?? name, schema: { type: 'string' } });
  }
  if (route.query) {
    const query = inline(route.query, 'input') as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, schema] of Object.entries(query.properties ?? {})) {
      const { description, ...rest } = schema;
      parameters.push({ name, in: 'query', required: query.required?.includes(name) && rest.default === undefined ? true : false, ...(description ? { description } : {}), schema: rest });
    }
  }
  for (const header of route.headers ?? []) {
    parameters.push({ name: header.name, in: 'header', required: header.required ?? false, description: header.description, schema: { type: 'string', ...(header.pattern ? { pattern: header.pattern } : {}) } });
  }
  const responses: Json = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    const contentType = spec.contentType ?? 'application/json';
    const content = spec.schema && contentType === 'text/event-stream'
      ? { [contentType]: { schema: { type: 'string', description: 'Server-Sent Events: `event:` names the message, `data:` is JSON (contentSchema)', contentSchema: schemaOf(spec.schema, 'output') } } }
      : spec.schema
      ? { [contentType]: { schema: schemaOf(spec.schema, 'output'), ...(spec.example !== undefined ? { example: spec.example } : {}) } }
      : spec.contentType
        ? { [contentType]: { schema: contentType.endsWith('json') ? { type: 'object' } : { type: 'string' } } }
        : undefined;
    responses[status] = { description: spec.description, ...(content ? { content } : {}) };
  }
  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.tag],
    security: route.security === 'public' ? [] : [{ sessionCookie: [] }, { bearerAuth: [] }],
    ...(parameters.length ? { parameters } : {}),
    ...(route.body
      ? { requestBody: { required: route.body.required ?? true, content: { [route.body.contentType ?? 'application/json']: { schema: schemaOf(route.body.schema, 'input'), example: route.body.example } } } }
      : {}),
    responses,
  };
}

export interface OpenApiOptions {
  /** Include the diagnostics routes (TRELLIS_DIAGNOSTICS, never in production). */
  diagnostics: boolean;
  /** Extra Markdown per operationId, appended to its description (e.g. the webhook signing recipes). */
  notes?: Record<string, string>;
}

export function openApiDocument(options: OpenApiOptions) {
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of ROUTES) {
    if (route.diagnostics && !options.diagnostics) continue;
    const op = operation(route);
    const note = options.notes?.[route.operationId];
    if (note) op.description = [op.description, note].filter(Boolean).join('\n\n');
    (paths[route.path] ??= {})[route.method] = op;
  }
  const used = new Set(ROUTES.filter((r) => options.diagnostics || !r.diagnostics).map((r) => r.tag));
  return {
    openapi: '3.1.0',
    info: {
      title: 'Trellis API',
      version: '1.0.0',
      description: 'REST API of Trellis, an AI workflow-automation platform. Errors are application/problem+json with a stable `code`. Every list takes `?limit=&cursor=` and answers `{items, nextCursor}`.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/' }],
    tags: TAGS.filter((t) => used.has(t.name)),
    paths,
    // What Trellis sends: a webhook notification channel's POST (signed like Trellis webhooks).
    webhooks: {
      notification: {
        post: {
          operationId: 'receiveNotification',
          security: [],
          summary: 'A notification to a webhook channel',
          description: 'Signed with X-Trellis-Signature (t=<unix s>,v1=<hex HMAC-SHA256(channel secret, "<t>.<raw body>")>); X-Trellis-Delivery is the delivery id.',
          tags: ['notifications'],
          requestBody: { required: true, content: { 'application/json': { schema: ref('NotificationWebhookBody') } } },
          responses: { 200: { description: 'any 2xx answer acknowledges the delivery; others are retried' } },
        },
      },
    },
    components: {
      schemas: { ...components(requests, 'input'), ...components(answers, 'output') },
      securitySchemes: {
        sessionCookie: { type: 'apiKey', in: 'cookie', name: 'trellis_session', description: 'the web app session; writes must come from the web app origin (CSRF)' },
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'trk_… API key or session token', description: 'a team API key (trk_…, with scopes) or a session token from /api/v1/auth/login' },
      },
    },
  };
}
export type OpenApiDocument = ReturnType<typeof openApiDocument>;
