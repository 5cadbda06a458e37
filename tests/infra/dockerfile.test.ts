// infra/docker/app.Dockerfile's build, outside Docker (there is no engine on these machines), so its
// steps cannot rot: the `npm` commands of its `deps` and `build` stages run, as written, in a fresh
// folder holding what its COPY lines copy (the sources git tracks, as .dockerignore leaves them);
// then the runtime stage's COPY list alone, with production dependencies only, must load the api,
// the worker and the built web server. What Docker itself would do (base image, apt-get, the
// runtime user) is not run: docs/deployment.md says so.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT } from '../../infra/scripts/services.ts';
import { tempDir } from '../support/env.ts';

const DOCKERFILE = readFileSync(join(ROOT, 'infra/docker/app.Dockerfile'), 'utf8');

/** The instructions of one stage, continuation lines joined. */
function stage(name: string): string[] {
  const body = DOCKERFILE.split(/^FROM /m).find((part) => new RegExp(`\\bAS ${name}\\b`).test(part.split('\n')[0]!));
  if (!body) throw new Error(`no stage ${name} in app.Dockerfile`);
  return body.replace(/\\\n\s*/g, ' ').split('\n').map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
}

const npmSteps = (name: string) => stage(name).filter((line) => line.startsWith('RUN ') && line.includes('npm ')).map((line) => line.slice(4));

describe('infra/docker/app.Dockerfile, built outside Docker', () => {
  it('runs the deps and build stages\' npm steps, and the runtime COPY list loads with production dependencies only', () => {
    // Node 24 first on PATH, as in the image (infra/scripts/run.sh would otherwise fetch one).
    const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`, NODE_ENV: 'development', npm_config_prefer_offline: 'true', npm_config_update_notifier: 'false' };
    const build = tempDir('dockerfile-build');
    // deps: COPY package.json package-lock.json ./ ; RUN npm ci …
    expect(stage('deps')).toContain('COPY package.json package-lock.json ./');
    for (const file of ['package.json', 'package-lock.json']) cpSync(join(ROOT, file), join(build, file));
    const depsSteps = npmSteps('deps');
    expect(depsSteps).toEqual([expect.stringMatching(/^npm ci\b/)]);
    for (const step of depsSteps) execFileSync('bash', ['-c', step], { cwd: build, env, stdio: 'pipe', timeout: 600_000 });
    // build: COPY . . (the tracked sources; .dockerignore keeps node_modules, builds and data out) ; RUN npm run build:web && npm prune …
    expect(stage('build')).toContain('COPY . .');
    const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
    for (const file of tracked) {
      if (!existsSync(join(ROOT, file)) || file === 'package.json' || file === 'package-lock.json') continue;
      mkdirSync(dirname(join(build, file)), { recursive: true });
      cpSync(join(ROOT, file), join(build, file));
    }
    const buildSteps = npmSteps('build');
    expect(buildSteps.join(' ')).toMatch(/npm run build:web.*npm prune --omit=dev/);
    for (const step of buildSteps) execFileSync('bash', ['-c', step], { cwd: build, env, stdio: 'pipe', timeout: 600_000 });
    expect(existsSync(join(build, 'node_modules', 'jest'))).toBe(false); // dev dependencies pruned (jest is one nothing else needs)

    // runtime: only what its COPY --from=build lines take.
    const runtime = tempDir('dockerfile-runtime');
    const copies = stage('runtime').filter((line) => line.startsWith('COPY --from=build '));
    expect(copies.length).toBeGreaterThan(5);
    for (const line of copies) {
      const parts = line.split(/\s+/).slice(2);
      const target = parts.pop()!;
      for (const source of parts) {
        const relative = source.replace(/^\/app\/?/, '');
        cpSync(join(build, relative), target.endsWith('/') ? join(runtime, target, relative.split('/').pop()!) : join(runtime, target), { recursive: true });
      }
    }
    expect(existsSync(join(runtime, 'web', 'build', 'server', 'index.js'))).toBe(true);
    const probe = [
      "await import('./api/app.ts');",
      "await import('./worker/worker.ts');",
      "await import('./worker/mail.ts');",
      "await import('./core/db/orm.ts');",
      "await import('./web/build/server/index.js');",
      "console.log('runtime modules loaded');",
    ].join(' ');
    const loaded = execFileSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: runtime, env: { ...env, NODE_ENV: 'production' }, encoding: 'utf8', timeout: 120_000 });
    expect(loaded).toContain('runtime modules loaded');
  }, 900_000);
});
