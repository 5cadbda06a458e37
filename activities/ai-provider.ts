// Which OpenAI-compatible server an AI call goes to (the operator's default, or a team's "openai"
// credential with its own key and base URL), the official client for it, and the translation of
// what the client throws into the ApplicationFailure Temporal acts on.
import { createHash } from 'node:crypto';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { ApplicationFailure } from '@temporalio/common';
import { excerpt, FailureType, nonRetryable, parseRetryAfter, redact, retryable, throwIfCancelled } from './failures.ts';
import { createGuardedFetch, createTransport, type CredentialStore, type NodeCallContext } from './http.ts';
import type { LookupAll } from './ssrf.ts';

export interface Provider {
  baseUrl: string;
  apiKey: string | undefined;
  /** The base URL came from a team credential: guard it against SSRF. */
  guarded: boolean;
  /** A team credential pays for this call (its own key): the model allow-list does not apply. */
  ownCredential: boolean;
}

export interface ProviderDeps {
  /** The operator's default provider (OPENAI_BASE_URL / OPENAI_API_KEY). */
  openai: { baseUrl: string; apiKey?: string };
  credentials: CredentialStore;
  /** TRELLIS_HTTP_ALLOWLIST, for base URLs taken from team credentials. */
  allowlist?: string[];
  lookup?: LookupAll;
}

const MAX_CLIENTS = 64;

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Models that take max_completion_tokens instead of max_tokens (OpenAI reasoning models). */
export const usesMaxCompletionTokens = (model: string) => /^(o\d|gpt-5)/i.test(model.replace(/^[\w.-]+\//, ''));

export function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}

export function createProviders(deps: ProviderDeps) {
  const transport = createTransport({ allowlist: deps.allowlist ?? [], lookup: deps.lookup });
  const guardedFetch = createGuardedFetch(transport);
  const clients = new Map<string, OpenAI>();

  function clientFor(provider: Provider): OpenAI {
    const key = sha256(`${provider.baseUrl}\0${provider.apiKey ?? ''}\0${provider.guarded}`);
    let client = clients.get(key);
    if (!client) {
      client = new OpenAI({
        baseURL: provider.baseUrl,
        // The client insists on a key; servers that need none (Ollama, vLLM) get no Authorization header.
        apiKey: provider.apiKey ?? 'unused',
        defaultHeaders: provider.apiKey ? undefined : { Authorization: null },
        // Everything explicit: the client must not read OPENAI_* from the environment (config.ts does).
        organization: null,
        project: null,
        adminAPIKey: null,
        webhookSecret: null,
        maxRetries: 0, // Temporal retries, with the node's policy
        logLevel: 'off',
        fetch: provider.guarded ? guardedFetch : undefined,
      });
      if (clients.size >= MAX_CLIENTS) clients.delete(clients.keys().next().value!);
      clients.set(key, client);
    }
    return client;
  }

  async function resolveProvider(credentialId: string | undefined, call: NodeCallContext): Promise<Provider> {
    if (!credentialId) {
      return { baseUrl: deps.openai.baseUrl, apiKey: deps.openai.apiKey || undefined, guarded: false, ownCredential: false };
    }
    const credential = await deps.credentials.get(call.teamId, credentialId);
    if (!credential) {
      throw nonRetryable(FailureType.CredentialNotFound, `credential "${credentialId}" was not found in this team`);
    }
    if (credential.type !== 'openai') {
      throw nonRetryable(
        FailureType.CredentialTypeMismatch,
        `credential "${credentialId}" is of type ${credential.type}; the ai node takes an openai credential`,
      );
    }
    const baseUrl = credential.data.baseUrl?.trim();
    if (baseUrl) {
      let parsed: URL;
      try {
        parsed = new URL(baseUrl);
      } catch {
        throw nonRetryable(FailureType.AiConfigurationError, `credential "${credentialId}" has an invalid baseUrl`);
      }
      // Refuse early, with a clear message; the guarded fetch checks (and pins) again per request.
      await transport.guard.vet(parsed);
    }
    const apiKey = credential.data.apiKey || undefined;
    // Only a key of the team's own makes the call the team's: a credential with a base URL but no
    // key (a self-hosted server) is the team's too; a key-less one on the default URL is not.
    return { baseUrl: baseUrl || deps.openai.baseUrl, apiKey, guarded: Boolean(baseUrl), ownCredential: Boolean(apiKey || baseUrl) };
  }

  return { clientFor, resolveProvider };
}

export interface FailureContext {
  model: string;
  provider: Provider;
  secrets: string[];
  cancel?: AbortSignal;
  deadline: AbortSignal;
  timeoutMs: number;
}

/** What the openai client threw, as the failure Temporal acts on (retryable or not). */
export function providerFailure(error: unknown, context: FailureContext): Error {
  throwIfCancelled(context.cancel);
  if (error instanceof ApplicationFailure) return error;
  if (error instanceof APIError && error.cause instanceof ApplicationFailure) return error.cause; // refused by the SSRF guard
  const clean = (text: string) => redact(text, context.secrets);
  let host = context.provider.baseUrl;
  try {
    host = new URL(context.provider.baseUrl).host;
  } catch {
    // keep the raw value
  }
  if (error instanceof APIConnectionTimeoutError || (error instanceof APIUserAbortError && context.deadline.aborted)) {
    return retryable(FailureType.AiTimeout, `the AI provider at ${host} did not answer within ${context.timeoutMs} ms`);
  }
  if (error instanceof APIConnectionError) {
    const cause = error.cause as NodeJS.ErrnoException | undefined;
    const code = cause?.code ?? (cause?.cause as NodeJS.ErrnoException | undefined)?.code;
    return retryable(
      FailureType.AiConnectionError,
      `could not reach the AI provider at ${host}${code ? ` (${code})` : `: ${clean(excerpt(cause?.message ?? error.message, 200))}`}`,
    );
  }
  if (error instanceof APIError) {
    const status = error.status;
    const body = error.error as { message?: unknown } | undefined;
    const providerMessage = clean(excerpt(typeof body?.message === 'string' ? body.message : error.message, 300));
    const details = { status, code: error.code ?? undefined };
    if (status === undefined) {
      return retryable(FailureType.AiServerError, `the AI provider reported an error: ${providerMessage}`, { details });
    }
    if (status === 401) {
      return nonRetryable(
        FailureType.AiAuthenticationError,
        `the AI provider rejected the API key (401): check OPENAI_API_KEY or the team's openai credential`,
        details,
      );
    }
    if (status === 403) {
      return nonRetryable(FailureType.AiAuthenticationError, `the AI provider refused access (403): ${providerMessage}`, details);
    }
    if (status === 404) {
      return nonRetryable(
        FailureType.AiRequestRejected,
        `the AI provider does not know model "${context.model}" or the chat completions endpoint (404): ${providerMessage}`,
        details,
      );
    }
    if (status === 429) {
      if (error.code === 'insufficient_quota') {
        return nonRetryable(FailureType.AiQuotaExceeded, `the AI provider account is out of quota (429): ${providerMessage}`, details);
      }
      const headers = error.headers;
      const delay = parseRetryAfter(headers?.get('retry-after-ms'), Date.now(), 'ms') ?? parseRetryAfter(headers?.get('retry-after'));
      return retryable(
        FailureType.AiRateLimited,
        `the AI provider is rate limiting (429)${delay !== undefined ? `, retry after ${Math.round(delay / 1000)} s` : ''}: ${providerMessage}`,
        { nextRetryDelayMs: delay, details: { ...details, retryAfterMs: delay } },
      );
    }
    if (status === 408 || status === 409 || status >= 500) {
      return retryable(FailureType.AiServerError, `the AI provider failed (${status}): ${providerMessage}`, { details });
    }
    return nonRetryable(FailureType.AiRequestRejected, `the AI provider rejected the request (${status}): ${providerMessage}`, details);
  }
  return error instanceof Error ? error : new Error(String(error));
}
