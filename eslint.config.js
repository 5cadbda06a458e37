// Lint: typescript-eslint with type information, plus the determinism rules of DESIGN.md for
// workflows/ (the Temporal bundler is the backstop, this catches it at the keyboard).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.flatMap((name) => [name, `node:${name}`]);

// Folder boundaries: the import table of docs/design.md (Layout), ADR 042. Patterns match the
// import string (`../../activities/http.ts`), gitignore-style; `!` re-allows a file.
const away = (folders, message, extra = {}) => ({ group: folders.map((folder) => `**/${folder}/**`), message, ...extra });
/** Workflow code proper: only the worker bundles it (and tests run it); others import the shared modules. */
const WORKFLOW_CODE = [
  '**/workflows/index.ts', '**/workflows/run-graph.ts', '**/workflows/scheduled-run.ts', '**/workflows/mail.ts', '**/workflows/notify.ts',
  '**/workflows/retention.ts', '**/workflows/interpreter/engine.ts', '**/workflows/interpreter/node-runtime.ts', '**/workflows/interpreter/executors/**',
];
const workflowCode = { group: WORKFLOW_CODE, message: 'only the worker loads workflow code: import workflows/graph/, inputs.ts, messages.ts, events.ts, interpreter/state.ts or search-attributes.ts' };
const IO_PACKAGES = ['ioredis', 'openai', 'express', '@mikro-orm/*', 'pino', 'pino-http', '@temporalio/*', '@modelcontextprotocol/*'];
// gitignore cannot re-include a file below an excluded folder, so "all of workflows/ but graph/" lists the rest.
const NOT_GRAPH = ['**/workflows/*.ts', '**/workflows/interpreter/**'];
const boundaries = (files, patterns, extra = {}) => ({ files, ...extra, rules: { 'no-restricted-imports': ['error', { patterns }] } });
const coreAway = away(['api', 'web', 'worker', 'clients', 'infra', 'tests'], 'core/ is shared by api and worker: nothing from api/, web/, worker/, clients/, infra/ or tests/');
const coreNoActivities = away(['activities'], 'core/ never imports activities/ (not even types): put the shared type or constant in core/, activities/ import it from there');

export default tseslint.config(
  {
    ignores: ['node_modules/', '.tools/', '.data/', 'web/build/', 'web/.react-router/', 'coverage/', 'tests/e2e/screenshots/', 'docs/examples/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false, attributes: false } }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // Express routers match paths case-insensitively by default, which lets `/API/…` slip past
    // checks that compare req.path with lower-case prefixes: api/routes/router.ts makes them all.
    files: ['api/**/*.ts'],
    ignores: ['api/routes/router.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { paths: [{ name: 'express', importNames: ['Router'], allowTypeImports: true, message: 'make routers with apiRouter() from api/routes/router.ts (case-sensitive)' }] },
      ],
    },
  },
  boundaries(['core/**/*.ts'], [coreAway, coreNoActivities, workflowCode]),
  boundaries(['activities/**/*.ts'], [away(['api', 'web', 'worker', 'clients', 'infra', 'tests'], 'activities/ run in the worker: they import core/, contract/ and workflows/ shared modules only'), workflowCode]),
  boundaries(['api/**/*.ts'], [
    // The designer's "list tools" must use the agent's own MCP client (same SSRF guard, credential hosts, caps): ADR 042.
    { group: ['**/activities/**', '!**/activities/mcp-client.ts'], message: 'api/ never imports activities/ (worker code; shared types and constants belong in core/); activities/mcp-client.ts is the one exception' },
    away(['worker', 'web', 'clients', 'infra', 'tests'], 'api/ imports core/, contract/ and workflows/ shared modules only'),
    workflowCode,
  ]),
  boundaries(['worker/**/*.ts'], [away(['api', 'web', 'clients', 'infra', 'tests'], 'worker/ imports activities/, core/, contract/ and workflows/ only')]),
  boundaries(['web/**/*.ts', 'web/**/*.tsx'], [
    away(['api', 'core', 'activities', 'worker', 'infra', 'tests'], 'web/ talks to the api over HTTP: it imports contract/, clients/ and workflows/graph/ only (move a pure shared rule to contract/)'),
    { group: NOT_GRAPH, allowTypeImports: true, message: 'web/ imports workflows/graph/ only (other workflows/ modules: `import type`)' },
  ]),
  boundaries(['contract/**/*.ts'], [
    { group: IO_PACKAGES, message: 'contract/ is the wire contract: zod only, no I/O' },
    away(['activities', 'api', 'web', 'worker', 'clients', 'infra', 'tests'], 'contract/ imports zod, workflows/graph/ and pure leaf modules of core/ only'),
    { group: ['**/core/*', '!**/core/permissions.ts', '!**/core/plans.ts', '!**/core/credentials', '**/core/credentials/*', '!**/core/credentials/hosts.ts'], message: 'contract/ may import only the pure leaf tables of core/ (permissions, plans, credential hosts)' },
    { group: NOT_GRAPH, message: 'contract/ imports workflows/graph/ only' },
  ]),
  boundaries(['clients/**/*.ts'], [
    away(['activities', 'api', 'core', 'web', 'worker', 'infra', 'tests'], 'clients/ speak HTTP: they import contract/ and workflows/graph/ only'),
    { group: NOT_GRAPH, allowTypeImports: true, message: 'clients/ import workflows/graph/ only (other workflows/ modules: `import type`)' },
  ]),
  boundaries(['infra/**/*.ts'], [away(['web', 'clients', 'tests'], 'infra/ scripts import core/, workflows/ and the process entry points only')]),
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'workflows/ runs in the deterministic Temporal sandbox: no Node built-ins' })),
          patterns: [
            { group: ['@temporalio/activity', '@temporalio/client', '@temporalio/worker', '@temporalio/testing'], message: 'workflows/ may use @temporalio/workflow and @temporalio/common only' },
            { group: ['ioredis', 'openai', 'express', '@mikro-orm/*', 'pino', 'pino-http'], message: 'workflows/ does no I/O: put side effects in activities/' },
            { group: ['**/core/**', '**/api/**', '**/web/**', '**/worker/**', '**/clients/**', '**/infra/**', '**/tests/**'], message: 'workflows/ imports nothing from core/, api/, web/, worker/, clients/, infra/ or tests/' },
            // contract/ mostly loads zod; its zod-free tables are what workflow code may use (ADR 030).
            { group: ['**/contract/**', '!**/contract/run-status.ts', '!**/contract/failure-types.ts'], message: 'workflows/ imports from contract/ only the zod-free run-status.ts and failure-types.ts' },
            { group: ['**/activities/**'], allowTypeImports: true, message: 'workflows/ may only `import type` from activities/' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'setTimeout', message: 'use sleep() from @temporalio/workflow' },
        { name: 'setInterval', message: 'use sleep() in a loop' },
        { name: 'fetch', message: 'HTTP calls belong in activities/' },
        { name: 'process', message: 'workflows/ reads no process state' },
      ],
    },
  },
);
