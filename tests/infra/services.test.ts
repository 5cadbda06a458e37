// What a run of the services leaves behind: removeDataKeepLogs frees the databases, builds and
// caches a test run or a benchmark wrote in its folder (over a gigabyte a
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
      'api-x1/worker.log': 'started\n',
      'api-x1/app.sqlite': 'x',
      'pg/base/1/1259': 'x',
      'dockerfile-build-abc/node_modules/a/index.js': 'x',
      'dockerfile-build-abc/node_modules/a/CHANGES.txt': 'x',
      'app.sqlite': 'x',
      'temporal.db': 'x',
      'a.log.d/file': 'x',
    });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('removes data files and folders, and keeps the *.log and *.txt files in the folder and one level down', () => {
    removeDataKeepLogs(root);
    expect(readdirSync(root).sort()).toEqual(['api-x1', 'fuzz-faults-SQLite-1.txt', 'logs', 'temporal.log']);
    expect(readdirSync(join(root, 'logs'))).toEqual(['api.log']);
    expect(readdirSync(join(root, 'api-x1'))).toEqual(['worker.log']);
    expect(existsSync(join(root, 'dockerfile-build-abc'))).toBe(false); // a build's files deeper down are not logs
  });

  it('accepts a folder that is already gone', () => {
    expect(() => removeDataKeepLogs(join(root, 'never-made'))).not.toThrow();
  });
});
