// The `trellis` command line as a user runs it (bin/trellis, a child process with its own HOME)
// against real api and worker processes: login keeps the key out of sight in a 0600 file; a team's
// workflows exported and applied into another team round-trip, a second apply changes nothing, a
// changed file makes exactly one new version and diff names the changed node; a run started and
// watched ends with its status (and exit code); logs list its nodes; a signed curl is accepted.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../../infra/scripts/services.ts';
import { signInBenchUser } from '../bench/harness.ts';
import { tempDir } from '../support/env.ts';
import { processStack, until, type ProcessStack } from '../support/processes.ts';
import { TrellisClient } from '../../clients/typescript/index.ts';
import { watchRun } from '../../clients/cli/commands/runs.ts';

const exec = promisify(execFile);
const BIN = join(ROOT, 'bin', 'trellis');
const SCOPES = ['workflows:read', 'workflows:write', 'runs:read', 'runs:write'];

let stack: ProcessStack;
let api: string;
let token: string;
let teamA: string;
let teamB: string;
let keyA: string;
let keyB: string;
/** The CLI's home folder: its config lives here, never in the real one. */
let home: string;

interface Result { code: number; stdout: string; stderr: string }

/** Runs the CLI in `cwd` with a clean environment (no TRELLIS_* unless given). */
async function trellis(args: string[], options: { env?: Record<string, string>; cwd?: string; stdin?: string } = {}): Promise<Result> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, ...options.env };
  try {
    const child = exec(BIN, args, { env, cwd: options.cwd ?? home, timeout: 120_000 });
    child.child.stdin?.end(options.stdin ?? '');
    const { stdout, stderr } = await child;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string };
    if (typeof failed.code !== 'number') throw error;
    return { code: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${api}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

async function workflowsOf(teamId: string): Promise<{ id: string; name: string; version: number; description: string | null }[]> {
  return (await call('GET', `/api/v1/teams/${teamId}/workflows?limit=100`)).body.items as { id: string; name: string; version: number; description: string | null }[];
}

const ORDER_GRAPH = {
  nodes: [
    { id: 'total', type: 'transform', position: { x: 0, y: 0 }, config: { expression: '$sum(input.items.price)' } },
    { id: 'check', type: 'condition', config: { expression: 'steps.total.output > 10' } },
    { id: 'big', type: 'output', config: { value: '{{ "big " & $string(steps.total.output) }}' } },
    { id: 'small', type: 'transform', config: { expression: '"small " & $string(steps.total.output)' } },
  ],
  edges: [{ from: 'total', to: 'check' }, { from: 'check', port: 'true', to: 'big' }, { from: 'check', port: 'false', to: 'small' }],
};
const FAILING_GRAPH = { nodes: [{ id: 'boom', type: 'transform', config: { expression: '$error("no such order")' } }] };
/** Order total is also offered as a tool to MCP clients and agents: its settings travel with it. */
const ORDER_TOOL = { name: 'order_total', description: 'Sums the prices of an order', inputSchema: { type: 'object', properties: { items: { type: 'array' } }, required: ['items'] } };

beforeAll(async () => {
  stack = await processStack('cli');
  ({ base: api } = await stack.startApi('api'));
  await stack.startWorker('worker');
  const email = `cli-${randomBytes(3).toString('hex')}@cli.test`;
  ({ token } = await signInBenchUser(api, stack.databaseUrl, { email, password: 'plum-orbit-cactus-7' }));
  teamA = ((await call('GET', '/api/v1/me')).body.teams as { id: string }[])[0]!.id;
  const created = await call('POST', '/api/v1/teams', { name: 'Team B' });
  expect(created.status).toBe(201);
  teamB = created.body.id as string;
  [keyA, keyB] = await Promise.all([teamA, teamB].map(async (team) => {
    const key = await call('POST', `/api/v1/teams/${team}/api-keys`, { name: 'cli', scopes: SCOPES });
    expect(key.status).toBe(201);
    return key.body.key as string;
  })) as [string, string];
  for (const workflow of [
    { name: 'Order total', description: 'Sums an order and sorts it by size', graph: ORDER_GRAPH, tool: ORDER_TOOL },
    { name: 'Always fails', graph: FAILING_GRAPH },
  ]) expect((await call('POST', `/api/v1/teams/${teamA}/workflows`, workflow)).status).toBe(201);
  home = tempDir('cli-home');
});

afterAll(async () => {
  await stack?.stopAll();
});

describe('login', () => {
  it('keeps the API key in a file only the user can read, and never prints it', async () => {
    // The api tells the key its team: no --team needed, and a wrong one is refused.
    const mismatch = await trellis(['login', '--url', api, '--key', keyA, '--team', teamB]);
    expect(mismatch.code).toBe(2);
    expect(mismatch.stderr).toContain(`belongs to team ${teamA}, not ${teamB}`);
    const result = await trellis(['login', '--url', api, '--key', keyA]);
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).not.toContain(keyA);
    const path = join(home, '.config', 'trellis', 'config.json');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ url: api, teamId: teamA, apiKey: keyA });
    const who = await trellis(['whoami']);
    expect(who.stdout).toContain(`team ${teamA}`);
    expect(who.stdout).not.toContain(keyA);
  });

  it('refuses an unknown key with the api code, and a key of another team', async () => {
    const unknown = await trellis(['login', '--url', api, '--key', `trk_${'x'.repeat(32)}`], { cwd: tempDir('cli-elsewhere'), env: { HOME: tempDir('cli-home2') } });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('invalid_api_key');
    const wrongTeam = await trellis(['workflows', 'list'], { env: { TRELLIS_URL: api, TRELLIS_API_KEY: keyA, TRELLIS_TEAM: teamB } });
    expect(wrongTeam.code).toBe(1);
    expect(wrongTeam.stderr).toContain('404 not_found');
    // From the environment alone (a CI job), the key finds its own team.
    const ci = await trellis(['whoami'], { cwd: tempDir('cli-ci'), env: { HOME: tempDir('cli-home3'), TRELLIS_URL: api, TRELLIS_API_KEY: keyA } });
    expect(ci).toMatchObject({ code: 0 });
    expect(ci.stdout).toContain(`team ${teamA}  API key (TRELLIS_API_KEY)`);
  });

  it('signs in with email and password (a session) in another home', async () => {
    const otherHome = tempDir('cli-session');
    const email = `cli-s-${randomBytes(3).toString('hex')}@cli.test`;
    await signInBenchUser(api, stack.databaseUrl, { email, password: 'plum-orbit-cactus-8' });
    const result = await trellis(['login', '--url', api, '--email', email, '--password-stdin'], { env: { HOME: otherHome }, stdin: 'plum-orbit-cactus-8\n' });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('session');
    const listed = await trellis(['workflows', 'list'], { env: { HOME: otherHome } });
    expect(listed).toMatchObject({ code: 0, stdout: 'no workflows\n' });
    const out = await trellis(['logout'], { env: { HOME: otherHome } });
    expect(out.code).toBe(0);
    expect((await trellis(['workflows', 'list'], { env: { HOME: otherHome } })).code).toBe(2);
  });
});

describe('workflows as files', () => {
  let exported: string;

  it('exports one file per workflow with a stable key order', async () => {
    exported = join(tempDir('cli-export'), 'flows');
    const result = await trellis(['workflows', 'export', '--out', exported]);
    expect(result.code).toBe(0);
    expect(readdirSync(exported).sort()).toEqual(['always-fails.json', 'order-total.json']);
    const file = JSON.parse(readFileSync(join(exported, 'order-total.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(file)).toEqual(['name', 'description', 'tool', 'graph']);
    expect(file).toMatchObject({ name: 'Order total', description: 'Sums an order and sorts it by size', tool: ORDER_TOOL });
    expect(Object.keys((file.graph as { nodes: object[] }).nodes[0]!).slice(0, 2)).toEqual(['id', 'type']);
    // Exporting again writes the same bytes: files can live in git.
    const again = join(tempDir('cli-export'), 'flows');
    await trellis(['workflows', 'export', '--out', again]);
    for (const name of readdirSync(exported)) expect(readFileSync(join(again, name), 'utf8')).toBe(readFileSync(join(exported, name), 'utf8'));
  });

  it('applies them into another team: same graphs; a second apply changes nothing', async () => {
    const asB = { TRELLIS_URL: api, TRELLIS_API_KEY: keyB, TRELLIS_TEAM: teamB };
    const first = await trellis(['workflows', 'apply', exported], { env: asB });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('2 created, 0 updated, 0 unchanged');
    const [inA, inB] = await Promise.all([workflowsOf(teamA), workflowsOf(teamB)]);
    expect(inB.map((w) => w.name).sort()).toEqual(inA.map((w) => w.name).sort());
    for (const a of inA) {
      const b = inB.find((w) => w.name === a.name)!;
      const [graphA, graphB] = await Promise.all([call('GET', `/api/v1/teams/${teamA}/workflows/${a.id}`), call('GET', `/api/v1/teams/${teamB}/workflows/${b.id}`)]);
      expect(graphB.body.graph).toEqual(graphA.body.graph);
      expect(graphB.body.description).toEqual(graphA.body.description);
      expect(graphB.body.tool).toEqual(graphA.body.tool);
      expect(b.version).toBe(1);
    }

    const second = await trellis(['workflows', 'apply', exported], { env: asB });
    expect(second.stdout).toContain('0 created, 0 updated, 2 unchanged');
    expect((await workflowsOf(teamB)).map((w) => w.version)).toEqual([1, 1]);
    const diff = await trellis(['workflows', 'diff', exported], { env: asB });
    expect(diff).toMatchObject({ code: 0, stdout: 'no differences (2 workflows)\n' });
  });

  it('diffs a changed file node by node, and applying it makes exactly one new version', async () => {
    const asB = { TRELLIS_URL: api, TRELLIS_API_KEY: keyB, TRELLIS_TEAM: teamB };
    const path = join(exported, 'order-total.json');
    const file = JSON.parse(readFileSync(path, 'utf8')) as { graph: typeof ORDER_GRAPH };
    file.graph.nodes[0]!.config.expression = '$sum(input.items.(price * quantity))';
    file.graph.nodes = file.graph.nodes.filter((n) => n.id !== 'small');
    file.graph.nodes.push({ id: 'tiny', type: 'transform', config: { expression: '"tiny"' } });
    file.graph.edges = [...file.graph.edges.filter((e) => e.to !== 'small'), { from: 'check', port: 'false', to: 'tiny' }];
    writeFileSync(path, JSON.stringify(file, null, 2));

    const diff = await trellis(['workflows', 'diff', path], { env: asB });
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain('~ Order total');
    expect(diff.stdout).toContain('~ node total (transform)');
    expect(diff.stdout).toContain('config.expression: "$sum(input.items.price)" -> "$sum(input.items.(price * quantity))"');
    expect(diff.stdout).toContain('+ node tiny (transform)');
    expect(diff.stdout).toContain('- node small (transform)');
    expect(diff.stdout).toContain('+ edge check:false -> tiny');
    expect(diff.stdout).toContain('- edge check:false -> small');

    const applied = await trellis(['workflows', 'apply', exported], { env: asB });
    expect(applied.stdout).toContain('0 created, 1 updated, 1 unchanged');
    expect(applied.stdout).toContain('v1 -> v2');
    const order = (await workflowsOf(teamB)).find((w) => w.name === 'Order total')!;
    const versions = await call('GET', `/api/v1/teams/${teamB}/workflows/${order.id}/versions`);
    expect((versions.body.items as { version: number }[]).map((v) => v.version)).toEqual([2, 1]);
    expect((await trellis(['workflows', 'apply', exported], { env: asB })).stdout).toContain('0 created, 0 updated, 2 unchanged');
    expect((await trellis(['workflows', 'diff', exported], { env: asB })).code).toBe(0);
 
    // Tool settings alone: saved, shown by diff, and no new version.
    const edited = JSON.parse(readFileSync(path, 'utf8')) as { tool: typeof ORDER_TOOL };
    edited.tool.description = 'Sums the prices of an order, times quantities';
    writeFileSync(path, JSON.stringify(edited, null, 2));
    expect((await trellis(['workflows', 'diff', path], { env: asB })).stdout).toContain('tool settings:');
    const settings = await trellis(['workflows', 'apply', path], { env: asB });
    expect(settings.stdout).toContain('updated   Order total (tool settings; still v2)');
    const saved = await call('GET', `/api/v1/teams/${teamB}/workflows/${order.id}`);
    expect(saved.body).toMatchObject({ version: 2, tool: { description: 'Sums the prices of an order, times quantities' } });
  });

  it('exports YAML that diffs clean against its own team', async () => {
    const dir = tempDir('cli-yaml');
    expect((await trellis(['workflows', 'export', '--out', dir, '--format', 'yaml'])).code).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['always-fails.yaml', 'order-total.yaml']);
    expect(readFileSync(join(dir, 'order-total.yaml'), 'utf8')).toMatch(/^name: Order total\ndescription: Sums an order/);
    expect(await trellis(['workflows', 'diff', dir])).toMatchObject({ code: 0 });
  });
});

describe('runs', () => {
  it('starts a run and watches it to its status; logs show every node', async () => {
    const started = await trellis(['runs', 'start', 'Order total', '--input', JSON.stringify({ items: [{ price: 4 }, { price: 9 }] }), '--priority', '2']);
    expect(started.code).toBe(0);
    const [runId, status] = started.stdout.trim().split(' ');
    expect(runId).toMatch(/^run_/);
    expect(['queued', 'running']).toContain(status);

    const watched = await trellis(['runs', 'watch', runId!]);
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(new RegExp(`${runId} succeeded in `));
    expect(watched.stdout).toContain('output: "big 13"');
    // Without a terminal, progress comes as lines: nodes done out of the graph's four.
    expect(watched.stdout).toMatch(/\d\/4 nodes done/);

    const logs = await trellis(['runs', 'logs', runId!]);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain('succeeded');
    expect(logs.stdout).toMatch(/total\s+succeeded\s+1/);
    expect(logs.stdout).toMatch(/small\s+skipped/);
    expect(logs.stdout).toContain('output: "big 13"');
  });

  it('watches a failing run to a non-zero exit with its error', async () => {
    const started = await trellis(['runs', 'start', 'Always fails', '--watch']);
    expect(started.code).toBe(1);
    expect(started.stdout).toMatch(/run_\S+ failed/);
    expect(started.stdout).toContain('no such order');
    const runId = started.stdout.split(' ')[0]!;
    const logs = await trellis(['runs', 'logs', runId]);
    expect(logs.code).toBe(1);
    expect(logs.stdout).toMatch(/boom\s+failed/);
  });

  it('in a terminal, keeps one progress line that names the node waiting for approval', async () => {
    const created = await call('POST', `/api/v1/teams/${teamA}/workflows`, {
      name: 'Needs approval',
      graph: { nodes: [{ id: 'ask', type: 'approval', config: { message: 'Ship it?' } }, { id: 'done', type: 'output', config: { value: 'shipped' } }], edges: [{ from: 'ask', port: 'approved', to: 'done' }] },
    });
    expect(created.status).toBe(201);
    const team = new TrellisClient({ baseUrl: api, auth: { apiKey: keyA } }).team(teamA);
    const { runId } = await team.runs.start(created.body.id as string, {});
    const statusLines: string[] = [];
    const lines: string[] = [];
    const watching = watchRun(team, { out: (l) => lines.push(l), err: (l) => lines.push(l), status: (l) => statusLines.push(l) }, runId);
    await until('the progress line names the waiting node', async () => statusLines.at(-1) ?? '', (line) => line.includes('waiting at ask'), 60_000);
    expect(statusLines.at(-1)).toMatch(new RegExp(`^${runId} waiting: 0/2 nodes done, waiting at ask$`));
    expect((await call('POST', `/api/v1/teams/${teamA}/runs/${runId}/approvals/ask`, { decision: 'approve' })).status).toBe(200);
    expect(await watching).toBe(0);
    expect(statusLines.at(-1)).toBe(''); // the progress line is cleared before the result
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^${runId} succeeded in `)), 'output: "shipped"']);
  });

  it('names a bad input or priority as a usage error (exit code 2)', async () => {
    expect(await trellis(['runs', 'start', 'Order total', '--input', '{nope'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--input is not valid JSON') });
    expect(await trellis(['runs', 'start', 'Order total', '--priority', '9'])).toMatchObject({ code: 2, stderr: expect.stringContaining('--priority must be an integer from 1 to 5') });
  });
});

describe('webhooks sign', () => {
  it('prints a curl whose signature the api accepts (and refuses with a wrong secret)', async () => {
    const order = (await workflowsOf(teamA)).find((w) => w.name === 'Order total')!;
    const hook = await call('POST', `/api/v1/teams/${teamA}/workflows/${order.id}/webhooks`, {});
    expect(hook.status).toBe(201);
    const body = JSON.stringify({ items: [{ price: 1 }], note: "it's signed" });
    const send = async (secret: string) => {
      const printed = await trellis(['webhooks', 'sign', hook.body.id as string, '--secret', secret, '--body', body]);
      expect(printed.code).toBe(0);
      expect(printed.stdout).toContain(`${api}/hooks/${hook.body.id as string}`);
      const { stdout } = await exec('bash', ['-c', `${printed.stdout.trim()} -o /dev/null -w '%{http_code}'`]);
      return Number(stdout);
    };
    expect(await send(hook.body.secret as string)).toBe(202);
    expect(await send('whsec_wrong')).toBe(401);
  });
});

describe('npx', () => {
  it('runs the CLI from the repository root', async () => {
    const { stdout } = await exec('npx', ['--offline', 'trellis', '--help'], { cwd: ROOT, env: { ...process.env, HOME: home } });
    expect(stdout).toContain('usage: trellis <command>');
    expect(stdout).toContain('workflows apply');
  });
});
