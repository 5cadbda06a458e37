// @lane unit
// No import cycles among the repository's own .ts/.tsx files. Type-only imports count too: they
// are erased at run time, but a circle through a type still shows a type in the wrong module (the
// fix is the same: move the shared type below both, e.g. workflows/inputs.ts), and a type-only
// edge turns into a run-time one as soon as someone imports a value along it.
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tempTree } from '../support/temp-tree.ts';
import { importCycles, importGraph, importsOf, sourceFiles } from '../support/import-graph.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('import graph', () => {
  it('reads the whole repository', () => {
    const files = sourceFiles(ROOT);
    // Every source folder is read, generated trees are not.
    for (const folder of ['workflows/', 'activities/', 'core/', 'api/', 'worker/', 'web/', 'contract/', 'clients/', 'infra/', 'tests/']) {
      expect(files.some((file) => file.startsWith(folder))).toBe(true);
    }
    expect(files.filter((file) => file.includes('node_modules') || file.startsWith('web/build/'))).toEqual([]);
    expect(importGraph(ROOT, files).length).toBeGreaterThan(1000);
  });

  it('has no import cycles', () => {
    const cycles = importCycles(importGraph(ROOT));
    // Each entry lists the files of one circle; break it by moving the shared piece below both.
    expect(cycles.map((files) => files.join(' ↔ '))).toEqual([]);
  });

  it('sees static, re-exported, dynamic and type-level imports, and tells type-only ones apart', () => {
    const source = [
      "import { a } from './a.ts';",
      "import type { B } from './b.ts';",
      "import { type C } from './c.ts';",
      "import { type D, d } from './d.ts';",
      "export { e } from './e.ts';",
      "export type { F } from './f.ts';",
      "import './g.ts';",
      "const h = await import('./h.ts');",
      "type I = import('./i.ts').I;",
      "import z from 'zod';",
    ].join('\n');
    expect(importsOf('x.ts', source).map(({ specifier, typeOnly }) => [specifier, typeOnly])).toEqual([
      ['./a.ts', false], ['./b.ts', true], ['./c.ts', true], ['./d.ts', false], ['./e.ts', false],
      ['./f.ts', true], ['./g.ts', false], ['./h.ts', false], ['./i.ts', true],
    ]);
  });

  describe('on a made-up tree', () => {
    let root: string;
    beforeAll(() => {
      root = tempTree('trellis-imports-', {
        'core/a.ts': "import { b } from './b.ts';\nexport const a = 1;\n",
        'core/b.ts': "export const b = () => import('../api/c.ts');\n",
        'api/c.ts': "import type { A } from '../core/a.ts';\nexport type { A };\n",
        'api/self.ts': "export * from './self.ts';\n",
        'api/d.ts': "import { a } from '../core/a.ts';\nimport x from './+types/missing';\n",
        'node_modules/pkg/index.ts': "import './index.ts';\n",
      });
    });
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    it('reports a circle through a dynamic and a type-only import, and a file importing itself', () => {
      expect(importCycles(importGraph(root))).toEqual([['api/c.ts', 'core/a.ts', 'core/b.ts'], ['api/self.ts']]);
    });
  });
});
