// Server render entry. React Router's default Node entry is used almost verbatim; we keep our own
// copy because the default requires `isbot` as a direct dependency in package.json (without it,
// `react-router build` edits package.json and runs `npm install`). A small user-agent test stands
// in for isbot: crawlers get the complete document at once instead of a streamed one.
import { PassThrough } from 'node:stream';
import { createReadableStreamFromReadable } from '@react-router/node';
import type { RenderToPipeableStreamOptions } from 'react-dom/server';
import { renderToPipeableStream } from 'react-dom/server';
import type { EntryContext, HandleErrorFunction } from 'react-router';
import { isRouteErrorResponse, ServerRouter } from 'react-router';
import { getLogger } from './log.server.ts';
import { CSP_NONCE_HEADER } from './lib/csp.ts';

export const streamTimeout = 5_000;

const BOT_USER_AGENT = /bot|crawl|spider|slurp|archiver|facebookexternalhit|embedly|preview|lighthouse|headless/i;

export default function handleRequest(
  request: Request,
  responseStatusCode: number,
  responseHeaders: Headers,
  routerContext: EntryContext,
) {
  // https://httpwg.org/specs/rfc9110.html#HEAD
  if (request.method.toUpperCase() === 'HEAD') {
    return new Response(null, { status: responseStatusCode, headers: responseHeaders });
  }

  return new Promise<Response>((resolve, reject) => {
    let shellRendered = false;
    const userAgent = request.headers.get('user-agent') ?? '';
    const readyOption: keyof RenderToPipeableStreamOptions =
      BOT_USER_AGENT.test(userAgent) || routerContext.isSpaMode ? 'onAllReady' : 'onShellReady';

    // Abort after streamTimeout (+1 s so rejected boundaries still get flushed).
    let timeoutId: ReturnType<typeof setTimeout> | undefined = setTimeout(() => abort(), streamTimeout + 1000);

    // The Content-Security-Policy's nonce (web/server.ts): React Router puts it on its inline
    // scripts and on <Scripts>/<ScrollRestoration>/<Links>, React on its streaming scripts.
    const nonce = request.headers.get(CSP_NONCE_HEADER) ?? undefined;
    const { pipe, abort } = renderToPipeableStream(<ServerRouter context={routerContext} url={request.url} nonce={nonce} />, {
      nonce,
      [readyOption]() {
        shellRendered = true;
        const body = new PassThrough({
          final(callback) {
            // Clear the timer so the closure is not retained.
            clearTimeout(timeoutId);
            timeoutId = undefined;
            callback();
          },
        });
        responseHeaders.set('Content-Type', 'text/html');
        pipe(body);
        resolve(
          new Response(createReadableStreamFromReadable(body), {
            headers: responseHeaders,
            status: responseStatusCode,
          }),
        );
      },
      onShellError(error: unknown) {
        reject(error);
      },
      onError(error: unknown) {
        responseStatusCode = 500;
        // Errors before the shell is ready are logged by React Router itself.
        if (shellRendered) getLogger().error({ err: error, url: request.url }, 'render failed');
      },
    });
  });
}

// Replaces React Router's console.error so failures are JSON log lines; 4xx answers (unknown
// URLs, thrown 404s) are ordinary outcomes, not errors, and client aborts are not logged at all.
export const handleError: HandleErrorFunction = (error, { request }) => {
  if (request.signal.aborted) return;
  if (isRouteErrorResponse(error) && error.status < 500) return;
  // A 5xx route error response wraps the original Error (not part of its public type).
  const err = (isRouteErrorResponse(error) && (error as { error?: unknown }).error) || error;
  getLogger().error({ err, method: request.method, url: request.url }, 'request failed');
};
