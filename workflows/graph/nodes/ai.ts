import { defineNode, type ConfigOf } from './types.ts';

export const ai = defineNode({
  type: 'ai',
  label: 'AI',
  description: 'Asks a chat model (any OpenAI-compatible server). Output: { text, json?, model, usage, costUsd, cached }.',
  kind: 'action',
  config: (z) =>
    z.object({
      model: z.string().min(1).default('gpt-4o-mini'),
      system: z.string().optional().describe('System message; may hold "{{ }}" templates'),
      prompt: z.string().min(1).describe('User message; may hold "{{ }}" templates'),
      temperature: z.number().min(0).max(2).optional(),
      maxTokens: z.number().int().min(1).max(200_000).optional(),
      /** When set, the reply must be JSON matching this JSON Schema; it is validated before use. */
      jsonSchema: z.record(z.string(), z.unknown()).optional(),
      /** An "openai" team credential (API key and optional base URL); the default provider otherwise. */
      credentialId: z.string().optional(),
      /** Reuse an identical earlier answer (same model, messages and parameters) from the cache. */
      cache: z.boolean().default(false),
    }),
  outputs: ['out'],
  defaults: { prompt: 'Summarize {{ input }}' },
  timeouts: { timeout: '10 minutes', heartbeat: '30 seconds' },
  expressionFields: [],
  templateFields: ['system', 'prompt'],
  jsonSchemaFields: ['jsonSchema'],
});
export type AiConfig = ConfigOf<typeof ai>;
