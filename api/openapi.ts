// The OpenAPI document served at /api/v1/openapi.json. Request schemas come from the same zod
// schemas the routes parse with, so the document cannot drift from validation.
import { z } from 'zod';
import { HelloRunRequest } from './routes/diagnostics.ts';
import { identityPaths, identitySchemas, securitySchemes } from './openapi-identity.ts';
import { platformPaths, platformSchemas } from './openapi-platform.ts';
import { insightPaths, insightSchemas } from './openapi-insights.ts';
import { notificationPaths, notificationSchemas } from './openapi-notifications.ts';

const Problem = {
  type: 'object',
  required: ['type', 'title', 'status', 'code', 'detail'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string' },
    detail: { type: 'string' },
    problems: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
    requestId: { type: 'string' },
  },
};

const Check = { type: 'object', properties: { ok: { type: 'boolean' }, latencyMs: { type: 'number' }, error: { type: 'string' } } };
const Readiness = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['ok', 'unavailable'] },
    checks: { type: 'object', properties: { database: Check, redis: Check, temporal: Check } },
  },
};

const json = (schema: unknown) => ({ 'application/json': { schema } });
const problemResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } });

export function openApiDocument(options: { diagnostics: boolean }) {
  const paths: Record<string, unknown> = {
    '/healthz': { get: { summary: 'Process is up', tags: ['health'], responses: { 200: { description: 'up' } } } },
    '/readyz': {
      get: {
        summary: 'Database, Redis and Temporal are reachable',
        tags: ['health'],
        responses: { 200: { description: 'ready', content: json(Readiness) }, 503: { description: 'a dependency is down', content: json(Readiness) } },
      },
    },
    '/metrics': { get: { summary: 'Prometheus metrics', tags: ['health'], responses: { 200: { description: 'text exposition format' } } } },
    ...identityPaths(),
    ...platformPaths(),
    ...insightPaths(),
    ...notificationPaths(),
  };
  if (options.diagnostics) {
    paths['/api/v1/diagnostics/hello-runs'] = {
      post: {
        summary: 'Start the built-in hello graph (not in production)',
        tags: ['diagnostics'],
        requestBody: { content: json(z.toJSONSchema(HelloRunRequest, { io: 'input' })) },
        responses: { 202: { description: 'started', content: json({ type: 'object', properties: { runId: { type: 'string' }, status: { type: 'string' } } }) }, 400: problemResponse('invalid body') },
      },
    };
    paths['/api/v1/diagnostics/hello-runs/{runId}'] = {
      get: {
        summary: 'State of a hello run',
        tags: ['diagnostics'],
        parameters: [{ name: 'runId', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { 200: { description: 'run state' }, 404: problemResponse('no such run') },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Trellis API', version: '1.0.0', description: 'REST API of Trellis. Errors are application/problem+json.' },
    servers: [{ url: '/' }],
    paths,
    components: { schemas: { Problem, ...identitySchemas, ...platformSchemas, ...insightSchemas, ...notificationSchemas }, securitySchemes },
  };
}

/** A dependency-free, readable rendering of the document at /api/docs. */
export function docsPage(document: ReturnType<typeof openApiDocument>): string {
  const escape = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const rows = Object.entries(document.paths).flatMap(([path, ops]) =>
    Object.entries(ops as Record<string, { summary?: string; responses?: Record<string, unknown> }>).map(
      ([method, op]) =>
        `<tr><td><code class="m ${method}">${method.toUpperCase()}</code></td><td><code>${escape(path)}</code></td><td>${escape(op.summary ?? '')}</td><td>${Object.keys(op.responses ?? {}).join(' ')}</td></tr>`,
    ),
  );
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Trellis API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1f2937}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #e5e7eb}
.m{font-weight:600}.get{color:#047857}.post{color:#1d4ed8}.put,.patch{color:#b45309}.delete{color:#b91c1c}</style></head>
<body><h1>${escape(document.info.title)} <small>${escape(document.info.version)}</small></h1>
<p>${escape(document.info.description)} The machine-readable document is at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
<table><thead><tr><th>Method</th><th>Path</th><th>Summary</th><th>Responses</th></tr></thead><tbody>${rows.join('')}</tbody></table></body></html>`;
}
