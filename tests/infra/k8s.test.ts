// The Kubernetes manifests' proxy trust: api and web sit behind the ingress (and api behind web),
// so they must believe X-Forwarded-For from the pod network, or every user shares one address.
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../core/config.ts';

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
});
