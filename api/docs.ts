// The API reference: /api/v1/openapi.json (generated from the contract, contract/openapi.ts) and
// /api/docs, Swagger UI served from the swagger-ui-dist package by this process — no CDN, and a
// CSP that lets the page load only its own scripts and styles and call only this origin.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Router } from 'express';
import { openApiDocument } from '../contract/openapi.ts';
import { NotFoundError } from '../core/errors.ts';
import { apiRouter } from './routes/router.ts';

/**
 * Swagger UI's own files and ours only. Inline styles: its components set style attributes;
 * images: its icons are data: URIs. connect-src 'self' is what "Try it out" needs.
 */
export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css',
  'swagger-ui-bundle.js': 'text/javascript',
  'favicon-32x32.png': 'image/png',
};

// The page's own script (no inline script under the CSP): the document from this origin, no
// validator badge (it would call validator.swagger.io), requests with the browser's session cookie.
const INIT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/api/v1/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    withCredentials: true,
    tryItOutEnabled: false,
    displayOperationId: true,
    defaultModelsExpandDepth: 0,
  });
});
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Trellis API reference</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="/api/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css">
</head>
<body>
<noscript>The machine-readable API description is at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</noscript>
<div id="swagger-ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/assets/init.js"></script>
</body>
</html>
`;

/** The webhook signing recipes of docs/examples, as Markdown for the deliverWebhook operation (none when absent). */
function signingRecipes(): string | undefined {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'examples');
  const blocks: string[] = [];
  for (const [file, lang] of [['sign-webhook.sh', 'bash'], ['sign-webhook.mjs', 'js'], ['sign-webhook.py', 'python']] as const) {
    try {
      blocks.push(`**${file}**\n\n\`\`\`${lang}\n${readFileSync(join(dir, file), 'utf8').trimEnd()}\n\`\`\``);
    } catch {
      // A deployment without the docs folder documents the header format only.
    }
  }
  return blocks.length ? `### Signing a delivery\n\n${blocks.join('\n\n')}` : undefined;
}

export function docsRoutes(options: { diagnostics: boolean }): Router {
  const recipes = signingRecipes();
  const document = openApiDocument({ diagnostics: options.diagnostics, notes: recipes ? { deliverWebhook: recipes } : {} });
  const distDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const assets = new Map(Object.entries(ASSETS).map(([name, type]) => [name, { type, body: readFileSync(join(distDir, name)) }]));
  assets.set('init.js', { type: 'text/javascript', body: Buffer.from(INIT) });

  const router = apiRouter();
  router.get('/api/v1/openapi.json', (_req, res) => {
    res.json(document);
  });
  router.get('/api/docs', (_req, res) => {
    res.set('Content-Security-Policy', DOCS_CSP).type('html').send(PAGE);
  });
  router.get('/api/docs/assets/:name', (req, res) => {
    // Only the files listed above: never a path into node_modules.
    const asset = assets.get(req.params.name);
    if (!asset) throw new NotFoundError('The asset');
    res.set({ 'Content-Type': asset.type, 'Cache-Control': 'public, max-age=3600' }).send(asset.body);
  });
  return router;
}
