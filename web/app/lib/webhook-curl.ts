// A copy-and-run example for calling a signed webhook (docs/api.md, "Webhooks"): the
// signature must be computed when the request is sent (the API refuses timestamps older than
// five minutes), so the snippet signs with openssl at run time rather than embedding a signature.
// Pure string building: usable in the browser, the server and tests alike.

export interface CurlExampleInput {
  /** The webhook's URL (`…/hooks/<id>`). */
  url: string;
  /** The webhook's secret (`whsec_…`); a placeholder works too, for webhooks listed later. */
  secret: string;
  /** The JSON body: a string is sent byte for byte, anything else is JSON-encoded. Default `{}`. */
  body?: unknown;
}

/** Quotes a value for bash: single quotes, with embedded single quotes written as '\''. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * A bash snippet that signs `body` with HMAC-SHA256(secret, "<t>.<body>") and posts it with
 * curl, printing the API's answer and then the HTTP status on a line of its own.
 */
export function curlExample({ url, secret, body = {} }: CurlExampleInput): string {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  return [
    `URL=${shellQuote(url)}`,
    `SECRET=${shellQuote(secret)}`,
    `BODY=${shellQuote(raw)}`,
    'TS=$(date +%s)',
    // printf '%s' signs the exact bytes curl sends (--data-binary); sed keeps the hex digest of
    // both OpenSSL's and LibreSSL's output formats.
    `SIG=$(printf '%s' "$TS.$BODY" | openssl dgst -sha256 -hmac "$SECRET" | sed 's/^.* //')`,
    'curl -sS -X POST "$URL" \\',
    `  -H 'Content-Type: application/json' \\`,
    '  -H "X-Trellis-Signature: t=$TS,v1=$SIG" \\',
    // A fresh delivery id per call; a retry of the same delivery should reuse it (no second run).
    '  -H "X-Trellis-Delivery: $(openssl rand -hex 16)" \\',
    `  --data-binary "$BODY" \\`,
    `  -w '\\n%{http_code}\\n'`,
  ].join('\n');
}
