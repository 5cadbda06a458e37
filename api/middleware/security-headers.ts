// The api answers JSON (and the API reference, /api/docs, with its own CSP: api/docs.ts): nothing of it may run script, load
// anything, or be framed, and a browser must not guess another content type. HSTS once a request
// came over TLS.
import type { RequestHandler } from 'express';

export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export const securityHeaders: RequestHandler = (req, res, next) => {
  // req.secure believes X-Forwarded-Proto only from TRUST_PROXY's proxies.
  if (req.secure) res.set('Strict-Transport-Security', 'max-age=31536000');
  res.set({
    'Content-Security-Policy': API_CSP,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
  });
  next();
};
