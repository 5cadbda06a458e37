// Conformance with the wire contract: every answer a test receives can be checked against the
// generated OpenAPI document (contract/openapi.ts) — the route must be in the route table, the
// status declared for it, and a JSON body must match its schema exactly (answers are generated
// with additionalProperties: false, so an undescribed field fails too).
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Express } from 'express';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { openApiDocument } from '../../contract/openapi.ts';
import { answers } from '../../contract/common.ts';
import { findRoute } from '../../contract/routes.ts';
import { RUN_STREAM_EVENTS } from '../../contract/runs.ts';

const DOC_ID = 'https://trellis.dev/contract/openapi.json';
const document = openApiDocument({ diagnostics: true });
// JSON Schema 2020-12, as OpenAPI 3.1; formats are documentation here (the patterns zod emits were dropped).
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
ajv.addSchema({ $id: DOC_ID, components: document.components });
const validators = new Map<string, ValidateFunction>();

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

function absolute(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', `"${DOC_ID}#/components/`));
}

/** What is wrong with an answer to METHOD path by the contract; empty when it conforms. */
export function contractProblems(method: string, url: string, res: Answer): string[] {
  const path = url.replace(/^https?:\/\/[^/]+/, '').split('?')[0] ?? url;
  const route = findRoute(method, path);
  if (!route) return [`${method.toUpperCase()} ${path} is not in the contract (contract/routes.ts)`];
  const operation = document.paths[route.path]?.[route.method] as { responses: Record<string, { content?: Record<string, { schema: unknown }> }> } | undefined;
  const declared = operation?.responses[String(res.status)];
  if (!declared) return [`${route.operationId} answered ${res.status}, which the contract does not declare (${Object.keys(operation?.responses ?? {}).join(', ')})`];
  const type = String(res.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
  const media = declared.content ? Object.keys(declared.content) : [];
  if (media.length === 0) {
    return res.body === undefined || res.body === '' || (typeof res.body === 'object' && res.body !== null && Object.keys(res.body).length === 0 && !type)
      ? []
      : [`${route.operationId} ${res.status}: the contract declares no body, got ${type || 'a body'}`];
  }
  if (!media.includes(type)) return [`${route.operationId} ${res.status}: content type ${type || '(none)'}, the contract says ${media.join(' or ')}`];
  if (!type.endsWith('json')) return [];
  const key = `${route.operationId} ${res.status} ${type}`;
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile(absolute(declared.content?.[type]?.schema) as object);
    validators.set(key, validate);
  }
  if (validate(res.body)) return [];
  return (validate.errors ?? []).slice(0, 5).map((e: ErrorObject) => `${route.operationId} ${res.status}: body${e.instancePath} ${e.message ?? ''} ${e.keyword === 'additionalProperties' ? JSON.stringify(e.params) : ''}`.trim());
}

/** What is wrong with a value by one of the document's named schemas (e.g. "NotificationPayload"). */
export function schemaProblems(component: string, value: unknown): string[] {
  const key = `#${component}`;
  let validate = validators.get(key);
  if (!validate) {
    if (!(component in document.components.schemas)) return [`no schema named ${component} in the contract`];
    validate = ajv.compile({ $ref: `${DOC_ID}#/components/schemas/${component}` });
    validators.set(key, validate);
  }
  if (validate(value)) return [];
  return (validate.errors ?? []).slice(0, 5).map((e: ErrorObject) => `${component}${e.instancePath} ${e.message ?? ''} ${e.keyword === 'additionalProperties' ? JSON.stringify(e.params) : ''}`.trim());
}

/** What is wrong with one message of a run's event stream: its name must be a contract event, its data that event's schema. */
export function streamEventProblems(event: string, data: unknown): string[] {
  const schema = (RUN_STREAM_EVENTS as Record<string, (typeof RUN_STREAM_EVENTS)[keyof typeof RUN_STREAM_EVENTS]>)[event];
  const id = schema ? answers.get(schema)?.id : undefined;
  return id ? schemaProblems(id, data) : [`event "${event}" is not in the contract (contract/runs.ts RUN_STREAM_EVENTS)`];
}

let enabled = false;
/** Test clients (tests/support/identity.ts Client) check every answer against the contract from now on. */
export function checkAnswersAgainstContract(on = true): void {
  enabled = on;
}
export function contractChecksEnabled(): boolean {
  return enabled;
}

/** A supertest `.expect()` callback that fails the request when its answer breaks the contract. */
export function conforms(method: string, url: string) {
  return (res: Answer & { text?: string }) => {
    const problems = contractProblems(method, url, res);
    if (problems.length) throw new Error(`answer breaks the contract:\n  ${problems.join('\n  ')}\n  body: ${(res.text ?? '').slice(0, 500)}`);
  };
}

export interface ServedRoute {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string; // OpenAPI style: /api/v1/teams/{teamId}/…
}
interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every route registered on the app, as {method, path} with {param} placeholders. */
export function expressRoutes(app: Express): ServedRoute[] {
  const found: ServedRoute[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) {
          found.push({ method: method as ServedRoute['method'], path: layer.route.path.replace(/:(\w+)/g, '{$1}') });
        }
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return found;
}
