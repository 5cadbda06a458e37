// `npm run docs`: writes the generated parts of docs/ (today the graph language reference).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderGraphReference } from '../../core/docs/graph-reference.ts';

const target = fileURLToPath(new URL('../../docs/graph-reference.md', import.meta.url));
writeFileSync(target, renderGraphReference());
console.log(`wrote ${target}`);
