// @lane unit
// The web server's security headers (web/server.ts): a nonce-based Content-Security-Policy that
// forbids framing, nosniff, a same-origin Referrer-Policy, and HSTS once the site is on TLS. The
// browser suite checks that the pages still work under it (no CSP violation on any main page).
import { createHash } from 'node:crypto';
import express from 'express';
import request from 'supertest';
import { CSP_NONCE_HEADER, SYSTEM_THEME_SCRIPT } from '../../web/app/lib/csp.ts';
import { securityHeaders } from '../../web/server.ts';

function app(publicUrl: string) {
  const web = express();
  web.set('trust proxy', 'loopback');
  web.use(securityHeaders({ publicUrl }));
  // Stands in for React Router: shows the nonce entry.server.tsx would read.
  web.get('/page', (req, res) => {
    res.json({ nonce: req.headers[CSP_NONCE_HEADER] });
  });
  return web;
}

function directives(csp: string): Map<string, string[]> {
  return new Map(csp.split(';').map((part) => part.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));
}

describe('web security headers', () => {
  it('sends a CSP whose scripts need this request’s nonce, and forbids framing, sniffing and cross-site referrers', async () => {
    // A client cannot choose the nonce.
    const res = await request(app('http://localhost:3000')).get('/page').set(CSP_NONCE_HEADER, 'chosen-by-client');
    const nonce = res.body.nonce as string;
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    const csp = directives(res.headers['content-security-policy']!);
    expect(csp.get('script-src')).toEqual(["'self'", `'nonce-${nonce}'`, `'sha256-${createHash('sha256').update(SYSTEM_THEME_SCRIPT).digest('base64')}'`]);
    expect(csp.get('script-src')).not.toContain("'unsafe-inline'");
    expect(csp.get('script-src')).not.toContain("'unsafe-eval'");
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(csp.get('base-uri')).toEqual(["'none'"]);
    expect(csp.get('default-src')).toEqual(["'self'"]);
    expect(res.headers).toMatchObject({ 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY', 'referrer-policy': 'same-origin' });
    expect(res.headers['strict-transport-security']).toBeUndefined();

    const again = await request(app('http://localhost:3000')).get('/page');
    expect(again.body.nonce).not.toBe(nonce);
  });

  it('adds HSTS behind TLS: an https PUBLIC_URL, or X-Forwarded-Proto https from a trusted proxy', async () => {
    expect((await request(app('https://trellis.example')).get('/page')).headers['strict-transport-security']).toBe('max-age=31536000');
    const proxied = await request(app('http://localhost:3000')).get('/page').set('X-Forwarded-Proto', 'https');
    expect(proxied.headers['strict-transport-security']).toBe('max-age=31536000');
  });
});
