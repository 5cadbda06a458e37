// What a run of the services leaves behind: removeDataKeepLogs frees the databases, builds and
// caches a test run, a benchmark or the chaos campaign wrote in its folder (over a gigabyte a
// `npm test`, which filled a CI disk once) and keeps the logs a person reads after a failure.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { removeDataKeepLogs } from '../../infra/scripts/services.ts';
import { tempTree } from '../support/temp-tree.ts';

describe('removeDataKeepLogs', () => {
  let root: string;
  beforeAll(() => {
    root = tempTree('trellis-services-', {
      'temporal.log': 'started\n',
      'fuzz-faults-SQLite-1.txt': '',
      'logs/api.log': 'listening\n',
      'pg/base/1/1259': 'x',
      'dockerfile-build-abc/node_modules/a/index.js': 'x',
      'app.sqlite': 'x',
      'temporal.db': 'x',
      'a.log.d/file': 'x',
    });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('removes folders and data files, and keeps *.log and *.txt files and the logs folder', () => {
    removeDataKeepLogs(root);
    expect(readdirSync(root).sort()).toEqual(['fuzz-faults-SQLite-1.txt', 'logs', 'temporal.log']);
    expect(existsSync(join(root, 'logs', 'api.log'))).toBe(true);
  });

  it('accepts a folder that is already gone', () => {
    expect(() => removeDataKeepLogs(join(root, 'never-made'))).not.toThrow();
  });
});
