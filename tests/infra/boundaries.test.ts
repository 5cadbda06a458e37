// Lint fails on a folder boundary break (docs/design.md, Layout; ADR 042): probe files that break
// the table are written into the real tree (so the repository's eslint.config.js and type-aware
// parser apply as to any source file), linted with the ESLint Node API, and removed again.
// Not in the unit lane: a type-aware lint takes tens of seconds, though it needs no services.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RULE = 'no-restricted-imports';

/** Probe files (unique per process: parallel runs do not share them), each with the imports it holds. */
const tag = `__lint_probe_${process.pid}__`;
const PROBES: Record<string, string> = {
  [`core/${tag}.ts`]: [
    "import { createActivities } from '../activities/index.ts';",
    "import type { HttpDeps } from '../activities/http.ts';",
    "import { ROLES } from './permissions.ts';",
    'export const probe = [createActivities, ROLES] as const;',
    'export type Probe = HttpDeps;',
  ].join('\n'),
  [`api/${tag}.ts`]: [
    "import { createAiActivities } from '../activities/ai.ts';",
    "import { createMcpClient } from '../activities/mcp-client.ts';",
    'export const probe = [createAiActivities, createMcpClient] as const;',
  ].join('\n'),
  [`web/app/${tag}.ts`]: [
    "import { loadConfig } from '../../core/config.ts';",
    "import { validate } from '../../workflows/graph/validate.ts';",
    "import type { RunState } from '../../workflows/interpreter/state.ts';",
    'export const probe = [loadConfig, validate] as const;',
    'export type Probe = RunState;',
  ].join('\n'),
};

describe('folder boundaries', () => {
  afterAll(() => {
    for (const file of Object.keys(PROBES)) rmSync(join(ROOT, file), { force: true });
  });

  it('fails lint on a boundary break and lets the allowed imports through', async () => {
    let results: ESLint.LintResult[];
    try {
      for (const [file, text] of Object.entries(PROBES)) writeFileSync(join(ROOT, file), `${text}\n`);
      results = await new ESLint({ cwd: ROOT }).lintFiles(Object.keys(PROBES).map((file) => join(ROOT, file)));
    } finally {
      for (const file of Object.keys(PROBES)) rmSync(join(ROOT, file), { force: true });
    }
    const broken = (file: string) => {
      const result = results.find((r) => r.filePath === join(ROOT, file));
      const fatal = result?.messages.filter((m) => m.fatal || m.ruleId === null);
      expect(fatal).toEqual([]);
      return result!.messages.filter((m) => m.ruleId === RULE).map((m) => [m.line, m.message.match(/^'([^']+)'/)?.[1]]);
    };
    // core/ never imports activities/, not even a type; its own modules are fine.
    expect(broken(`core/${tag}.ts`)).toEqual([[1, '../activities/index.ts'], [2, '../activities/http.ts']]);
    // api/ never imports activities/, the MCP client (the designer's "list tools") aside.
    expect(broken(`api/${tag}.ts`)).toEqual([[1, '../activities/ai.ts']]);
    // web/ never imports core/; workflows/graph/ is its to use, other workflows/ modules as types.
    expect(broken(`web/app/${tag}.ts`)).toEqual([[1, '../../core/config.ts']]);
  });
});
