// Test lanes. `npm test` runs every suite with the real services (global-setup.ts starts them);
// `npm run test:unit` (jest.unit.config.js) runs only the suites that say they need none, with a
// line `// @lane unit` in their leading comment. tests/infra/test-lanes.test.ts keeps the mark
// honest: a marked suite that reaches the service harness fails `npm test`.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const UNIT_MARK = /^\s*(?:\/\/|\/\*+|\*)\s*@lane\s+unit\b/;
const COMMENT_OR_BLANK = /^\s*(?:\/\/|\/\*|\*|$)/;

/** True when the suite's leading comment (the lines before its first statement) holds `@lane unit`. */
export function isUnitSuite(source: string): boolean {
  for (const line of source.split('\n')) {
    if (UNIT_MARK.test(line)) return true;
    if (!COMMENT_OR_BLANK.test(line)) return false;
  }
  return false;
}

/** Every jest suite of the default config (tests/**\/*.test.ts(x), the browser suite aside), relative to root. */
export function jestSuites(root: string): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && path !== join(root, 'tests', 'e2e')) walk(path);
      } else if (/\.test\.tsx?$/.test(entry.name)) {
        found.push(relative(root, path).split(sep).join('/'));
      }
    }
  };
  walk(join(root, 'tests'));
  return found.sort();
}

/** The suites marked `@lane unit`, relative to root. */
export function unitSuites(root: string): string[] {
  return jestSuites(root).filter((file) => isUnitSuite(readFileSync(join(root, file), 'utf8')));
}
