// Where to send someone after signing in (or after the theme switch): a path on this site, never
// another one. The one rule for every `next`/`redirectTo` — the api's OAuth callback and the web
// app's pages both import it (pure, no imports, so the web bundle can carry it; in contract/ because
// web/ may not import api/).
//
// Prefix checks are not enough: browsers drop tabs and newlines from URLs and read "\" as "/", so
// "/\t/evil.example" and "/\evil.example" are "//evil.example"; "/.//evil" normalises to "//evil".
// So: refuse control characters and backslashes (also once decoded), resolve against a fixed
// origin with the URL parser, require that origin, and hand back its normalised path.

const BASE = 'https://same-origin.invalid';
const MAX_LENGTH = 2_000;
// C0 controls, DEL, C1 controls, and the separators some parsers treat as line ends.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\\]/;

function decoded(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** A same-origin path ("/…", with its query and fragment), or `fallback` for anything else. */
export function safeNext(value: unknown, fallback = '/'): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_LENGTH) return fallback;
  const plain = decoded(value);
  if (plain === undefined) return fallback;
  for (const form of [value, plain]) {
    if (UNSAFE.test(form) || !form.startsWith('/') || form.startsWith('//')) return fallback;
  }
  let url: URL;
  try {
    url = new URL(value, BASE);
  } catch {
    return fallback;
  }
  const path = `${url.pathname}${url.search}${url.hash}`;
  // Dot segments can leave "//host" behind ("/.//evil" → "//evil").
  if (url.origin !== BASE || !path.startsWith('/') || path.startsWith('//')) return fallback;
  return path;
}
