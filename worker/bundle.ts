// The workflow bundle (webpack, several seconds) is cached by a hash of its sources, so a
// restart with unchanged workflows starts in about a second.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type BundleOptions } from '@temporalio/worker';
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

/**
 * Modules evaluated once per worker and shared by every workflow, instead of once per workflow
 * (the SDK's reusable V8 context gives each workflow its own module instances otherwise):
 * expressions and JSONata, and the zod-free node registry with every node definition (ADR 038).
 * They must stay pure (no per-workflow state, no @temporalio/workflow calls at module level), and
 * the SDK deep-freezes their exports, which zod schemas do not survive: those are loaded lazily
 * instead (docs/decisions/030-inline-compute.md).
 */
export const SHARED_WORKFLOW_MODULES = [
  ...['expressions.ts', 'inline-budget.ts', 'durations.ts', 'registry.ts'].map((file) => join(ROOT, 'workflows', 'graph', file)),
  ...sourceFiles(join(ROOT, 'workflows', 'graph', 'nodes')),
];

/** A dynamic import() in workflow code stays in the one bundle (the sandbox loads no chunks). */
type WebpackConfig = Parameters<NonNullable<BundleOptions['webpackConfigHook']>>[0];
function eagerDynamicImports(config: WebpackConfig): WebpackConfig {
  return { ...config, module: { ...config.module, parser: { ...config.module?.parser, javascript: { ...config.module?.parser?.javascript, dynamicImportMode: 'eager' } } } };
}

/** Hash of everything that can change the bundle: workflow sources, how they are bundled and the locked dependencies. */
export function workflowSourceHash(): string {
  const hash = createHash('sha256');
  for (const file of [...sourceFiles(join(ROOT, 'workflows')), join(ROOT, 'activities', 'index.ts'), join(ROOT, 'worker', 'bundle.ts'), join(ROOT, 'package-lock.json')]) {
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
  const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_ENTRY, preloadModules: SHARED_WORKFLOW_MODULES, webpackConfigHook: eagerDynamicImports, logger: quietBundlerLogger(logger) });
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
