// The API's readiness report (GET /readyz) for the status page. Unauthenticated and never
// throwing: an unreachable API is data to show, not an error.
import { z } from 'zod';

const CheckSchema = z.object({
  ok: z.boolean(),
  latencyMs: z.number().optional(),
  error: z.string().optional(),
});

// GET /readyz answers 200 or 503 with this body (core/health/readiness.ts).
const ReadinessSchema = z.object({
  status: z.enum(['ok', 'unavailable']),
  checks: z.record(z.string(), CheckSchema),
});

export type Check = z.infer<typeof CheckSchema>;

export type ApiReadiness =
  | { reachable: true; httpStatus: number; status: 'ok' | 'unavailable'; checks: Record<string, Check> }
  | { reachable: false; error: string };

/** Asks the API whether it and its dependencies are up. Never throws: failures become data. */
export async function getReadiness(apiUrl: string, timeoutMs = 5_000): Promise<ApiReadiness> {
  let response: Response;
  try {
    response = await fetch(`${apiUrl}/readyz`, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    return { reachable: false, error: describeFetchError(error, timeoutMs) };
  }
  const body: unknown = await response.json().catch(() => undefined);
  const parsed = ReadinessSchema.safeParse(body);
  if (!parsed.success) {
    // Something answered, but not with a readiness report (wrong API_URL, proxy error page …).
    return { reachable: false, error: `unexpected answer from the API (HTTP ${response.status})` };
  }
  return { reachable: true, httpStatus: response.status, ...parsed.data };
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  // undici wraps the socket error: "fetch failed" with cause { code: 'ECONNREFUSED', … }.
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}
