// What the web server's Content-Security-Policy (web/server.ts) and the pages it renders share.
// Inline scripts run only with the per-request nonce (React Router's hydration data and module
// loader, React's streaming helpers) or, for the one fixed script of our own, its hash.

/** The web server puts each request's nonce here for entry.server.tsx (a client's value is overwritten). */
export const CSP_NONCE_HEADER = 'x-trellis-csp-nonce';

/** "system" is resolved before first paint so a dark-mode user never sees a white flash. */
export const SYSTEM_THEME_SCRIPT = `if(matchMedia('(prefers-color-scheme: dark)').matches)document.documentElement.classList.add('dark')`;
