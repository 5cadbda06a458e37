// `npm run docs`: writes the generated parts of docs/: the graph language reference, and the user
// guide's screenshots, copied from the browser suite's latest run (tests/e2e/screenshots/).
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderGraphReference } from '../../core/docs/graph-reference.ts';

const target = fileURLToPath(new URL('../../docs/graph-reference.md', import.meta.url));
writeFileSync(target, renderGraphReference());
console.log(`wrote ${target}`);

const guide = readFileSync(new URL('../../docs/user-guide.md', import.meta.url), 'utf8');
for (const [, name] of guide.matchAll(/\]\(images\/([\w-]+\.png)\)/g)) {
  const shot = new URL(`../../tests/e2e/screenshots/${name}`, import.meta.url);
  if (!existsSync(shot)) {
    console.log(`kept docs/images/${name} (no screenshot: run npm run test:e2e first)`);
    continue;
  }
  copyFileSync(shot, new URL(`../../docs/images/${name}`, import.meta.url));
  console.log(`copied docs/images/${name}`);
}
