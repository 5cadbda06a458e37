// The Kubernetes manifests' proxy trust: api and web sit behind the ingress (and api behind web),
// so they must believe X-Forwarded-For from the pod network, or every user shares one address.
// And they render: `kustomize build infra/k8s` (kustomize built from the Go module proxy into the
// machine cache by infra/scripts/k8s-tools.sh) gives valid objects by the Kubernetes JSON schemas
// shipped with the kubernetes-validate package (offline, --strict: unknown fields are errors).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../core/config.ts';
import { ROOT } from '../../infra/scripts/services.ts';
import { tempDir } from '../support/env.ts';

const read = (name: string) => readFileSync(new URL(`../../infra/k8s/${name}`, import.meta.url), 'utf8');

/** The flat `data:` map of configmap.yaml (KEY: value lines, comments skipped). */
function configMapData(): Map<string, string> {
  const text = read('configmap.yaml');
  const data = text.slice(text.indexOf('\ndata:\n') + 7);
  const entries = [...data.matchAll(/^ {2}([A-Z_][A-Z0-9_]*):\s*(.*)$/gm)].map(([, key, value]) => [key!, value!.trim().replace(/^"(.*)"$/, '$1')] as const);
  return new Map(entries);
}

describe('infra/k8s', () => {
  it('sets TRUST_PROXY to the pod network for api and web', () => {
    const data = configMapData();
    const trust = data.get('TRUST_PROXY');
    expect(trust).toBe('loopback,uniquelocal');
    // It is what the processes parse (a list of ranges, not a boolean that would trust everyone).
    expect(loadConfig({ TRUST_PROXY: trust, NODE_ENV: 'test' }).trustProxy).toBe('loopback,uniquelocal');
    for (const file of ['api.yaml', 'web.yaml']) expect(read(file)).toMatch(/configMapRef:\s*\{\s*name:\s*trellis-config\s*\}/);
  });

  describe('rendered by kustomize and validated against the Kubernetes schemas', () => {
    let kustomize: string;
    let validate: string;
    beforeAll(() => {
      // Builds the tools the first time on a machine (a minute or two), then answers at once.
      const tools = spawnSync('bash', [join(ROOT, 'infra/scripts/k8s-tools.sh')], { encoding: 'utf8', timeout: 600_000 });
      if (tools.status !== 0) throw new Error(`infra/scripts/k8s-tools.sh could not provide kustomize and kubernetes-validate:\n${tools.stderr}`);
      [kustomize, validate] = tools.stdout.trim().split('\n') as [string, string];
    }, 620_000);

    const check = (file: string) => spawnSync(validate, ['--strict', file], { encoding: 'utf8' });

    it('renders every object of kustomization.yaml, and each one validates', () => {
      const rendered = execFileSync(kustomize, ['build', join(ROOT, 'infra/k8s')], { encoding: 'utf8' });
      const objects = rendered.split(/^---$/m).map((doc) => [/^kind: (\S+)/m.exec(doc)?.[1], /^ {2}name: (\S+)/m.exec(doc)?.[1]].join('/'));
      expect(objects.sort()).toEqual([
        'ConfigMap/trellis-config', 'Deployment/trellis-api', 'Deployment/trellis-web', 'Deployment/trellis-worker',
        'PodDisruptionBudget/trellis-api', 'PodDisruptionBudget/trellis-web', 'PodDisruptionBudget/trellis-worker',
        'Service/trellis-api', 'Service/trellis-web',
      ]);
      expect(rendered).toContain('app.kubernetes.io/part-of: trellis');
      const file = join(tempDir('k8s'), 'rendered.yaml');
      writeFileSync(file, rendered);
      const result = check(file);
      expect({ status: result.status, output: result.stdout + result.stderr }).toMatchObject({ status: 0 });
      // The migration Job, applied on its own before each rollout.
      const job = check(join(ROOT, 'infra/k8s/migrate-job.yaml'));
      expect({ status: job.status, output: job.stdout + job.stderr }).toMatchObject({ status: 0 });
    });

    it('the validator rejects a manifest with a field Kubernetes does not know', () => {
      const broken = read('web.yaml').replace(/^(\s*)replicas:/m, '$1replicaz:');
      expect(broken).toContain('replicaz:');
      const file = join(tempDir('k8s'), 'broken.yaml');
      writeFileSync(file, broken);
      const result = check(file);
      expect(result.status).not.toBe(0);
      expect(result.stdout + result.stderr).toMatch(/replicaz/);
    });
  });
});
