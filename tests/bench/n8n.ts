// n8n, the peer of the webhook benchmark: installed once per machine by infra/scripts/n8n-peer.sh
// (into ~/.cache/trellis/n8n-<version>), run here on SQLite in a temporary folder with a
// Webhook → Set → Respond to Webhook workflow that answers `{id, total: sum of prices}`, like the
// Trellis flow (tests/bench/stack.ts SUM_GRAPH). Imported with `n8n import:workflow` and made live
// with `n8n publish:workflow --id=…` before `n8n start`, as an operator would.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT, freePort, launch, type Service } from '../../infra/scripts/services.ts';

export const N8N_VERSION = process.env.N8N_VERSION ?? '2.41.1';
const WORKFLOW_ID = 'TrellisBenchSum1';
const WEBHOOK_PATH = 'bench-sum';

/** The n8n binary, installing it first when the machine cache lacks it (minutes, once). */
export function n8nBinary(): string {
  const out = execFileSync('bash', [join(ROOT, 'infra/scripts/n8n-peer.sh')], { env: { ...process.env, N8N_VERSION }, stdio: ['ignore', 'pipe', 'inherit'] });
  return out.toString().trim().split('\n').pop() as string;
}

export const N8N_WORKFLOW = {
  id: WORKFLOW_ID,
  name: 'bench sum',
  active: false,
  nodes: [
    {
      id: '5b0f9c5e-7d43-4c35-9a51-1d0e8f0b6a01', name: 'Webhook', type: 'n8n-nodes-base.webhook', typeVersion: 2, position: [0, 0],
      webhookId: '0d6f5f6a-2a8e-4a43-8f4e-3c1d5b7e9a10',
      parameters: { httpMethod: 'POST', path: WEBHOOK_PATH, responseMode: 'responseNode', options: {} },
    },
    {
      id: '5b0f9c5e-7d43-4c35-9a51-1d0e8f0b6a02', name: 'Sum', type: 'n8n-nodes-base.set', typeVersion: 3.4, position: [220, 0],
      parameters: { mode: 'raw', jsonOutput: '={{ { id: $json.body.id, total: $json.body.items.reduce((sum, item) => sum + item.price, 0) } }}', options: {} },
    },
    {
      id: '5b0f9c5e-7d43-4c35-9a51-1d0e8f0b6a03', name: 'Respond', type: 'n8n-nodes-base.respondToWebhook', typeVersion: 1.1, position: [440, 0],
      parameters: { respondWith: 'firstIncomingItem', options: {} },
    },
  ],
  connections: {
    Webhook: { main: [[{ node: 'Sum', type: 'main', index: 0 }]] },
    Sum: { main: [[{ node: 'Respond', type: 'main', index: 0 }]] },
  },
  settings: { executionOrder: 'v1' },
  pinData: {},
};

export interface N8n { url: string; pid: number; service: Service; stop(): Promise<void> }

export async function startN8n(dir: string): Promise<N8n> {
  const bin = n8nBinary();
  const port = await freePort();
  const home = join(dir, 'n8n');
  mkdirSync(home, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // n8n runs on the repo's Node 24 (first on PATH through lib.sh, as for Trellis).
    PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
    N8N_USER_FOLDER: home,
    N8N_PORT: String(port),
    N8N_LISTEN_ADDRESS: '127.0.0.1',
    N8N_HOST: '127.0.0.1',
    DB_TYPE: 'sqlite',
    N8N_LOG_LEVEL: 'warn',
    N8N_DIAGNOSTICS_ENABLED: 'false',
    N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
    N8N_TEMPLATES_ENABLED: 'false',
    N8N_PERSONALIZATION_ENABLED: 'false',
    N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
    N8N_SECURE_COOKIE: 'false',
    NODE_ENV: 'production',
  };
  const file = join(home, 'workflow.json');
  writeFileSync(file, JSON.stringify(N8N_WORKFLOW));
  execFileSync(bin, ['import:workflow', `--input=${file}`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  execFileSync(bin, ['publish:workflow', `--id=${WORKFLOW_ID}`], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const service = launch('n8n', bin, ['start'], { env, logFile: join(dir, 'n8n.log') });
  const url = `http://127.0.0.1:${port}/webhook/${WEBHOOK_PATH}`;
  // Ready once the published webhook answers the flow's result.
  const deadline = Date.now() + 180_000;
  let gone = false;
  void service.exited.then(() => (gone = true));
  for (;;) {
    if (gone) throw new Error(`n8n exited before it was ready (log: ${join(dir, 'n8n.log')})`);
    try {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'probe', items: [{ price: 1 }, { price: 2 }] }), signal: AbortSignal.timeout(5_000) });
      const body = await response.text();
      if (response.ok && JSON.parse(body).total === 3) break;
      if (Date.now() > deadline) throw new Error(`n8n's webhook answered ${response.status} ${body.slice(0, 300)}`);
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((r) => setTimeout(r, 1_000));
  }
  return { url, pid: service.process.pid as number, service, stop: () => service.stop(20_000) };
}
