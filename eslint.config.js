// Lint: typescript-eslint with type information, plus the determinism rules of DESIGN.md for
// workflows/ (the Temporal bundler is the backstop, this catches it at the keyboard).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = builtinModules.flatMap((name) => [name, `node:${name}`]);

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
            { group: ['**/core/**', '**/api/**', '**/web/**', '**/worker/**'], message: 'workflows/ imports nothing from core/, api/, web/ or worker/' },
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
