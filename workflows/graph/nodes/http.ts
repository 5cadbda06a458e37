import { defineNode, type ConfigOf } from './types.ts';

export const http = defineNode({
  type: 'http',
  label: 'HTTP request',
  description: 'Calls a URL. Output: { status, headers, body }. 4xx answers fail the node without retry (except 408 and 429).',
  kind: 'action',
  config: (z) =>
    z.object({
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
    }),
  outputs: ['out'],
  defaults: { method: 'GET', url: 'https://example.com' },
  timeouts: { timeout: '1 minute', heartbeat: '30 seconds' },
  expressionFields: [],
  templateFields: ['url', 'headers', 'query', 'body'],
});
export type HttpConfig = ConfigOf<typeof http>;
