// @lane unit
// The fast lane stays honest: a suite marked `// @lane unit` (run by `npm run test:unit` without
// Temporal, Redis or PostgreSQL) must not reach the service harness through any chain of imports,
// nor start a Temporal test server itself; the unit config runs exactly the marked suites, and
// `npm test` still runs every suite with the services.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Config } from 'jest';
import ts from 'typescript';
import { tempTree } from '../support/temp-tree.ts';
import { isUnitSuite, jestSuites, unitSuites } from '../support/lanes.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// The jest configs are plain JavaScript (no declarations): loaded by path, typed here.
const jestConfig = async (file: string) => ((await import(pathToFileURL(join(ROOT, file)).href)) as { default: Config }).default;

/** What starts or hands out the test services. */
const HARNESS = ['tests/support/env.ts', 'tests/support/global-setup.ts', 'infra/scripts/services.ts'];
/** Starts a Temporal server (the SDK's test environment runs a dev server). */
const STARTS_SERVICE = /\bTestWorkflowEnvironment\.create/;

/**
 * Why `suite` is not a unit suite, or null: the import chain (repository files only, every
 * static and dynamic import, type-only ones too) from the suite to a harness module, or to a
 * test file that starts a service.
 */
function serviceChain(root: string, suite: string): string[] | null {
  const harness = new Set(HARNESS.map((file) => resolve(root, file)));
  const from = new Map<string, string | null>([[resolve(root, suite), null]]);
  const queue = [resolve(root, suite)];
  const chain = (file: string): string[] => {
    const out: string[] = [];
    for (let at: string | null | undefined = file; at; at = from.get(at)) out.unshift(relative(root, at).split(sep).join('/'));
    return out;
  };
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (harness.has(file)) return chain(file);
    const source = readFileSync(file, 'utf8');
    if (file.startsWith(resolve(root, 'tests') + sep) && STARTS_SERVICE.test(source)) return [...chain(file), 'TestWorkflowEnvironment'];
    for (const { fileName } of ts.preProcessFile(source, true, true).importedFiles) {
      if (!fileName.startsWith('.')) continue; // packages: the harness is ours
      const target = resolve(dirname(file), fileName);
      if (from.has(target) || !existsSync(target) || target.includes(`${sep}node_modules${sep}`)) continue;
      from.set(target, file);
      queue.push(target);
    }
  }
  return null;
}

describe('test lanes', () => {
  const marked = unitSuites(ROOT);

  it('has a unit lane, and no suite marked unit reaches the service harness', () => {
    expect(marked.length).toBeGreaterThan(10);
    const offenders = marked.map((suite) => serviceChain(ROOT, suite)).filter((chain) => chain !== null);
    // Each offender is its import chain, e.g. tests/x.test.ts → tests/support/app.ts → tests/support/env.ts.
    expect(offenders.map((chain) => chain.join(' → '))).toEqual([]);
  });

  it('runs exactly the marked suites without services in the unit lane, and every suite with them in npm test', async () => {
    const [fullConfig, unitConfig] = [await jestConfig('jest.config.js'), await jestConfig('jest.unit.config.js')];
    expect(unitConfig.testMatch).toEqual(marked.map((file) => `<rootDir>/${file}`));
    expect(unitConfig).not.toHaveProperty('globalSetup');
    expect(fullConfig.globalSetup).toBe('<rootDir>/tests/support/global-setup.ts');
    expect(fullConfig.testMatch).toEqual(['<rootDir>/tests/**/*.test.ts', '<rootDir>/tests/**/*.test.tsx']);
    expect(jestSuites(ROOT)).toEqual(expect.arrayContaining(marked));
  });

  it('reads the mark only from the leading comment', () => {
    expect(isUnitSuite('// @lane unit\nimport x from "y";')).toBe(true);
    expect(isUnitSuite('// What this suite checks.\n//   @lane unit\n\nimport x from "y";')).toBe(true);
    expect(isUnitSuite('/**\n * @lane unit\n */\nimport x from "y";')).toBe(true);
    expect(isUnitSuite('import x from "y";\n// @lane unit')).toBe(false);
    expect(isUnitSuite('// @lane units\nimport x from "y";')).toBe(false);
  });

  describe('on a made-up tree', () => {
    let root: string;
    beforeAll(() => {
      root = tempTree('trellis-lanes-', {
        'tests/support/env.ts': 'export const testEnv = {};\n',
        'tests/support/helper.ts': "import type { X } from '../../core/x.ts';\nexport const helper = () => import('./env.ts');\n",
        'core/x.ts': 'export type X = 1;\n',
        'tests/a/indirect.test.ts': "// @lane unit\nimport { helper } from '../support/helper.ts';\n",
        // Split so this file does not read as starting one itself.
        'tests/a/temporal.test.ts': `// @lane unit\nconst env = await TestWorkflow${''}Environment.createLocal();\n`,
        'tests/a/pure.test.ts': "// @lane unit\nimport type { X } from '../../core/x.ts';\n",
        'tests/a/services.test.ts': "import { testEnv } from '../support/env.ts';\n",
      });
    });
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    it('finds the chain to the harness through a dynamic import, and a suite starting Temporal itself', () => {
      expect(unitSuites(root)).toEqual(['tests/a/indirect.test.ts', 'tests/a/pure.test.ts', 'tests/a/temporal.test.ts']);
      expect(serviceChain(root, 'tests/a/indirect.test.ts')).toEqual(['tests/a/indirect.test.ts', 'tests/support/helper.ts', 'tests/support/env.ts']);
      expect(serviceChain(root, 'tests/a/temporal.test.ts')).toEqual(['tests/a/temporal.test.ts', 'TestWorkflowEnvironment']);
      expect(serviceChain(root, 'tests/a/pure.test.ts')).toBeNull();
    });
  });
});
