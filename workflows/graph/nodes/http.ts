import { z } from 'zod';
import type { NodeTypeDefinition } from './types.ts';

export const HttpConfig = z.object({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD']).default('GET'),
  url: z.string().min(1).describe('URL; may hold "{{ }}" templates'),
  headers: z.record(z.string(), z.string()).optional(),
  query: z.record(z.string(), z.string()).optional(),
  body: z.unknown().optional().describe('JSON body (templates inside strings) or text'),
  bodyType: z.enum(['json', 'text', 'form']).default('json'),
  responseType: z.enum(['auto', 'json', 'text', 'binary']).default('auto'),
  /** A team credential (http_header, http_basic, http_bearer), decrypted inside the activity. */
  credentialId: z.string().optional(),
  maxResponseBytes: z.number().int().min(1).max(50 * 1024 * 1024).default(10 * 1024 * 1024),
});
export type HttpConfig = z.infer<typeof HttpConfig>;

export const http = {
  type: 'http',
  label: 'HTTP request',
  description: 'Calls a URL. Output: { status, headers, body }. 4xx answers fail the node without retry (except 408 and 429).',
  config: HttpConfig,
  outputs: ['out'],
  expressionFields: [],
  templateFields: ['url', 'headers', 'query', 'body'],
} as const satisfies NodeTypeDefinition<typeof HttpConfig>;
