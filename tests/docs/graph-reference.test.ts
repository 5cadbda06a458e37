// @lane unit
// Generated docs stay true: the graph reference matches the registry, the user guide's screenshots exist.
import { existsSync, readFileSync } from 'node:fs';
import { renderGraphReference } from '../../core/docs/graph-reference.ts';
import { NODE_TYPES } from '../../workflows/graph/registry.ts';

describe('docs/graph-reference.md', () => {
  const committed = readFileSync(new URL('../../docs/graph-reference.md', import.meta.url), 'utf8');

  it('is what the node registry renders (run `npm run docs` after changing a node type)', () => {
    expect(committed).toBe(renderGraphReference());
  });

  it('has a section with a settings table for every registered node type', () => {
    for (const type of NODE_TYPES) {
      const section = committed.split(`\n### ${type}\n`)[1]?.split('\n### ')[0];
      expect(section).toBeDefined();
      expect(section).toMatch(/Output ports: /);
      expect(section).toMatch(/\| field \| type \| required \| default \| notes \||_No settings\._/);
    }
  });
});

describe('docs/user-guide.md', () => {
  it('shows only screenshots that are in docs/images (npm run docs copies them from the browser suite)', () => {
    const guide = readFileSync(new URL('../../docs/user-guide.md', import.meta.url), 'utf8');
    const images = [...guide.matchAll(/\]\((images\/[\w-]+\.png)\)/g)].map((m) => m[1] as string);
    expect(images.length).toBeGreaterThan(5);
    for (const image of images) expect(existsSync(new URL(`../../docs/${image}`, import.meta.url))).toBe(true);
  });
});
