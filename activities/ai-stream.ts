// Streaming an AI reply: reading the chunks under a byte ceiling, and sending the text to the
// run's live channel in batches (one Redis publish per 50 ms or 2 KiB, whichever comes first,
// and one at the end) rather than one message per token. The event keeps the shape the SSE
// relay and the run view read: `{ type: 'token', nodeId, text }`, now with several tokens of text.
import type { Redis } from 'ioredis';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { Logger } from '../core/log.ts';
import { runChannel, type RunEvent } from '../workflows/events.ts';
import { FailureType, nonRetryable } from './failures.ts';
import type { NodeCallContext } from './http.ts';

export type TokenEvent = Extract<RunEvent, { type: 'token' }>;

export const DEFAULT_TOKEN_FLUSH_MS = 50;
export const DEFAULT_TOKEN_FLUSH_BYTES = 2_048;

export interface AiUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
}

/** A function call the model asked for; `arguments` is the JSON text it wrote (not yet parsed). */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** What has come back so far; filled in place, so a failed stream still tells what it cost. */
export interface Reply {
  text: string;
  refusal: string;
  model: string;
  finishReason?: string;
  usage?: AiUsage;
  /** UTF-8 bytes of text, refusal and tool call names and arguments. */
  bytes: number;
  /** Function calls, in the order the model gave them (absent: none). */
  toolCalls?: ToolCall[];
}

export interface TokenPublisher {
  push(text: string): void;
  /** Sends what is buffered now (at the end of a reply, or before failing). */
  flush(): void;
}

/** Publishes token events in batches; after the first failure it stops trying for this call. */
export function createTokenPublisher(
  deps: { redis: Redis; logger: Logger; flushMs?: number; flushBytes?: number },
  call: NodeCallContext,
  /** An agent's model turn (its step index), carried by every event so a view can tell turns apart. */
  step?: number,
): TokenPublisher {
  const flushMs = deps.flushMs ?? DEFAULT_TOKEN_FLUSH_MS;
  const flushBytes = deps.flushBytes ?? DEFAULT_TOKEN_FLUSH_BYTES;
  const channel = runChannel(call.runId);
  let broken = false;
  let buffer = '';
  let bufferBytes = 0;
  let timer: NodeJS.Timeout | undefined;
  const fail = (reason: string) => {
    if (broken) return;
    broken = true;
    buffer = '';
    deps.logger.debug({ runId: call.runId, nodeId: call.nodeId, err: reason }, 'cannot publish tokens to redis, continuing without live tokens');
  };
  function flush() {
    clearTimeout(timer);
    timer = undefined;
    if (broken || buffer === '') return;
    const text = buffer;
    buffer = '';
    bufferBytes = 0;
    const status = deps.redis.status;
    if (status === 'end' || status === 'close' || status === 'reconnecting') return fail(`redis is ${status}`);
    const event: TokenEvent = { type: 'token', nodeId: call.nodeId, text, ...(step === undefined ? {} : { step }) };
    deps.redis.publish(channel, JSON.stringify(event)).catch((error: unknown) => fail((error as Error).message));
  }
  return {
    push(text) {
      if (broken || text === '') return;
      buffer += text;
      bufferBytes += Buffer.byteLength(text);
      if (bufferBytes >= flushBytes) flush();
      else if (!timer) {
        timer = setTimeout(flush, flushMs);
        timer.unref();
      }
    },
    flush,
  };
}

function outputLimit(maxBytes: number): Error {
  return nonRetryable(
    FailureType.AiOutputLimit,
    `the model's reply passed the output limit of ${maxBytes} bytes (TRELLIS_AI_MAX_OUTPUT_BYTES); the stream was stopped`,
    { limit: 'ai_output_bytes', maxBytes },
  );
}

/** Adds text to the reply, failing with ai_output_limit once it passes `maxBytes`. */
export function appendText(reply: Reply, field: 'text' | 'refusal', text: string, maxBytes: number): void {
  reply.bytes += Buffer.byteLength(text);
  if (reply.bytes > maxBytes) throw outputLimit(maxBytes);
  reply[field] += text;
}

/**
 * Adds (part of) a tool call to the reply. Streams send a call in pieces keyed by `index`: the id
 * and name first, then the arguments in fragments. Its bytes count against the same ceiling as text.
 */
export function appendToolCall(
  reply: Reply,
  part: { index?: number; id?: string | null; name?: string | null; arguments?: string | null },
  maxBytes: number,
): void {
  const calls = (reply.toolCalls ??= []);
  const index = part.index ?? calls.length;
  const name = part.name ?? '';
  const args = part.arguments ?? '';
  reply.bytes += Buffer.byteLength(name) + Buffer.byteLength(args);
  if (reply.bytes > maxBytes) throw outputLimit(maxBytes);
  // Some servers give no id: the call is still answered, under an id of its own.
  const call = (calls[index] ??= { id: '', name: '', arguments: '' });
  if (part.id) call.id = part.id;
  call.name += name;
  call.arguments += args;
}

/** The tool calls of a finished reply, holes (a server skipping an index) left out and ids filled in. */
export function toolCallsOf(reply: Reply): ToolCall[] {
  return (reply.toolCalls ?? []).filter(Boolean).map((call, i) => ({ ...call, id: call.id || `call_${i}` }));
}

/** Reads a completion stream into `reply`; a reply over `maxBytes` aborts the stream. */
export async function readStream(
  stream: AsyncIterable<ChatCompletionChunk> & { controller: AbortController },
  reply: Reply,
  options: { maxBytes: number; publish: TokenPublisher; onChunk: () => void },
): Promise<void> {
  try {
    for await (const chunk of stream) {
      options.onChunk();
      if (chunk.model) reply.model = chunk.model;
      if (chunk.usage) {
        reply.usage = {
          promptTokens: chunk.usage.prompt_tokens,
          completionTokens: chunk.usage.completion_tokens,
          totalTokens: chunk.usage.total_tokens,
        };
      }
      const choice = chunk.choices?.[0];
      if (!choice) continue;
      const delta = choice.delta?.content;
      if (delta) {
        appendText(reply, 'text', delta, options.maxBytes);
        options.publish.push(delta);
      }
      if (choice.delta?.refusal) appendText(reply, 'refusal', choice.delta.refusal, options.maxBytes);
      for (const call of choice.delta?.tool_calls ?? []) {
        appendToolCall(reply, { index: call.index, id: call.id, name: call.function?.name, arguments: call.function?.arguments }, options.maxBytes);
      }
      if (choice.finish_reason) reply.finishReason = choice.finish_reason;
    }
  } catch (error) {
    // Leaving the loop closes the response; abort too, so no byte more is read.
    stream.controller.abort();
    throw error;
  } finally {
    options.publish.flush();
  }
}
