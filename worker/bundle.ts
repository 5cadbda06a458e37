// The workflow bundle (webpack, several seconds) is cached by a hash of its sources, so a
// restart with unchanged workflows starts in about a second.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { Logger } from '../core/log.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const WORKFLOWS_ENTRY = join(ROOT, 'workflows', 'index.ts');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir)
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? sourceFiles(path) : [path];
    })
    .sort();
}

/** Hash of everything that can change the bundle: workflow sources and the locked dependencies. */
export function workflowSourceHash(): string {
  const hash = createHash('sha256');
  for (const file of [...sourceFiles(join(ROOT, 'workflows')), join(ROOT, 'activities', 'index.ts'), join(ROOT, 'package-lock.json')]) {
    if (!existsSync(file)) continue;
    hash.update(file.slice(ROOT.length)).update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

export async function loadWorkflowBundle(cacheDir: string, logger: Logger): Promise<{ code: string }> {
  const dir = resolve(cacheDir);
  const file = join(dir, `workflow-bundle-${workflowSourceHash()}.js`);
  if (existsSync(file)) {
    logger.debug({ file }, 'workflow bundle from cache');
    return { code: readFileSync(file, 'utf8') };
  }
  const started = performance.now();
  logger.info('bundling workflows (first start after a change)');
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_ENTRY, logger: quietBundlerLogger(logger) });
  mkdirSync(dir, { recursive: true });
  // Write then rename: workers sharing the cache folder never read a half-written bundle.
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, code);
  renameSync(partial, file);
  logger.info({ ms: Math.round(performance.now() - started), bytes: code.length }, 'workflow bundle built');
  return { code };
}

// The bundler logs its progress at info; ours stays at debug to keep startup output short.
function quietBundlerLogger(logger: Logger) {
  const log = (level: 'debug' | 'warn' | 'error') => (message: string, meta?: Record<string, unknown>) =>
    logger[level]({ ...meta, component: 'bundler' }, message);
  return { trace: log('debug'), debug: log('debug'), info: log('debug'), warn: log('warn'), error: log('error'), log: (_l: string, m: string) => logger.debug(m) };
}
