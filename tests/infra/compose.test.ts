// The production compose file, checked with the real Compose tool (no Docker engine needed):
// it validates, defines every service, gives every long-running one a healthcheck, starts them
// in a safe order with the configuration names of DESIGN.md; and a broken copy is rejected.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const COMPOSE_FILE = fileURLToPath(new URL('../../temporal.docker-compose.yml', import.meta.url));

const LONG_RUNNING = ['postgresql', 'temporal', 'temporal-ui', 'redis', 'api', 'worker', 'web'];
const ONE_SHOT = ['temporal-schema', 'temporal-namespace', 'migrate'];
/** DESIGN.md "Configuration": what api and worker must be given. */
const SERVER_ENV = [
  'NODE_ENV', 'DATABASE_URL', 'REDIS_URL', 'TEMPORAL_ADDRESS', 'TEMPORAL_NAMESPACE', 'TEMPORAL_TASK_QUEUE',
  'API_PORT', 'WEB_PORT', 'API_URL', 'PUBLIC_URL', 'TRELLIS_SECRET_KEY',
];

interface ComposeTool {
  command: string;
  prefix: string[];
}

interface RunResult {
  status: number | null;
  output: string;
}

/** `docker compose` (v2 plugin) when it works, else docker-compose 1.x, else nothing. */
function findComposeTool(): ComposeTool | undefined {
  const candidates: ComposeTool[] = [
    { command: 'docker', prefix: ['compose'] },
    { command: 'docker-compose', prefix: [] },
  ];
  return candidates.find(
    ({ command, prefix }) => spawnSync(command, [...prefix, 'version'], { stdio: 'ignore', timeout: 30_000 }).status === 0,
  );
}

const tool = findComposeTool();

function requireTool(): ComposeTool {
  if (!tool) {
    throw new Error(
      'Neither `docker compose` nor `docker-compose` is installed, so temporal.docker-compose.yml cannot be ' +
        'validated. Run `npm run setup` (it installs docker-compose), then run the tests again.',
    );
  }
  return tool;
}

function compose(args: string[]): RunResult {
  const { command, prefix } = requireTool();
  const result = spawnSync(command, [...prefix, '--project-directory', ROOT, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    // Only the file decides what is checked, not a developer's shell.
    env: { ...process.env, COMPOSE_FILE: undefined, COMPOSE_PROFILES: undefined },
  });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

// ---- A minimal reader for the normalized YAML that `config` prints (block style only) ------

const indentOf = (line: string) => line.length - line.trimStart().length;

/** The direct keys of a block, each with the lines nested under it. */
function mapOf(lines: string[]): Map<string, string[]> {
  const content = lines.filter((line) => line.trim() !== '');
  const map = new Map<string, string[]>();
  if (content.length === 0) return map;
  const indent = Math.min(...content.map(indentOf));
  let current: string[] | undefined;
  for (const line of content) {
    const key = indentOf(line) === indent ? /^\s*([^\s:#-][^:]*):(?:\s+(.*))?$/.exec(line) : null;
    if (key && !line.trimStart().startsWith('- ')) {
      current = [];
      map.set(key[1]!.replace(/^['"]|['"]$/g, ''), current);
      // An inline value (`KEY: value`) is kept as the block's only line.
      if (key[2] !== undefined) current.push(key[2]);
    } else {
      current?.push(line); // nested lines, list items at the key's indentation, wrapped scalars
    }
  }
  return map;
}

function section(lines: string[], ...path: string[]): string[] {
  let block = lines;
  for (const key of path) {
    const next = mapOf(block).get(key);
    if (next === undefined) throw new Error(`no "${path.join('.')}" in the normalized compose file`);
    block = next;
  }
  return block;
}

const unquote = (value: string) => value.trim().replace(/^['"]|['"]$/g, '');

describe('temporal.docker-compose.yml', () => {
  let normalized: string[] = [];
  let services: Map<string, string[]> = new Map();

  beforeAll(() => {
    const result = compose(['-f', COMPOSE_FILE, 'config']);
    expect({ status: result.status, output: result.status === 0 ? '' : result.output }).toEqual({ status: 0, output: '' });
    normalized = result.output.split('\n');
    services = mapOf(section(normalized, 'services'));
  });

  it('is valid', () => {
    const result = compose(['-f', COMPOSE_FILE, 'config', '-q']);
    expect(result.output.trim()).toBe('');
    expect(result.status).toBe(0);
  });

  it('defines the Temporal cluster, its setup jobs, Redis and the three Trellis processes', () => {
    const result = compose(['-f', COMPOSE_FILE, 'config', '--services']);
    expect(result.status).toBe(0);
    const listed = result.output.split('\n').map((line) => line.trim()).filter(Boolean);
    expect(listed).toEqual(expect.arrayContaining([...LONG_RUNNING, ...ONE_SHOT]));
  });

  it.each(LONG_RUNNING)('gives %s a healthcheck', (name) => {
    const service = mapOf(services.get(name) ?? []);
    expect(service.has('healthcheck')).toBe(true);
    expect(section(services.get(name)!, 'healthcheck', 'test').join('\n')).not.toBe('');
  });

  it('starts each service only after what it needs is healthy or has completed', () => {
    const conditions = (name: string) =>
      Object.fromEntries(
        [...mapOf(section(services.get(name) ?? [], 'depends_on'))].map(([dependency, lines]) => [
          dependency,
          unquote(mapOf(lines).get('condition')?.[0] ?? ''),
        ]),
      );
    const appDeps = {
      migrate: 'service_completed_successfully',
      redis: 'service_healthy',
      'temporal-namespace': 'service_completed_successfully',
    };
    expect(conditions('temporal-schema')).toEqual({ postgresql: 'service_healthy' });
    expect(conditions('temporal')).toEqual({
      postgresql: 'service_healthy',
      'temporal-schema': 'service_completed_successfully',
    });
    expect(conditions('temporal-namespace')).toEqual({ temporal: 'service_healthy' });
    expect(conditions('migrate')).toEqual({ postgresql: 'service_healthy' });
    expect(conditions('api')).toEqual(appDeps);
    expect(conditions('worker')).toEqual(appDeps);
    expect(conditions('web')).toEqual({ api: 'service_healthy' });
  });

  it('configures the app with the names of DESIGN.md, and keeps secrets away from web', () => {
    const environment = (name: string) =>
      new Map([...mapOf(section(services.get(name) ?? [], 'environment'))].map(([key, lines]) => [key, unquote(lines[0] ?? '')]));
    for (const name of ['api', 'worker', 'migrate']) {
      const env = environment(name);
      expect([...env.keys()]).toEqual(expect.arrayContaining(SERVER_ENV));
      expect(env.get('NODE_ENV')).toBe('production');
      expect(env.get('DATABASE_URL')).toMatch(/^postgres:\/\/[^@]+@postgresql:5432\/trellis$/);
      expect(env.get('TEMPORAL_ADDRESS')).toBe('temporal:7233');
    }
    const web = environment('web');
    expect(web.get('API_URL')).toBe('http://api:3001');
    expect(web.get('WEB_PORT')).toBe('3000');
    expect(web.has('DATABASE_URL')).toBe(false);
    expect(web.has('TRELLIS_SECRET_KEY')).toBe(false);
  });

  it('lets no client on a published port choose its address (X-Forwarded-For)', () => {
    const environment = (name: string) =>
      new Map([...mapOf(section(services.get(name) ?? [], 'environment'))].map(([key, lines]) => [key, unquote(lines[0] ?? '')]));
    // web is the edge: it believes no forwarded header.
    expect(environment('web').get('TRUST_PROXY')).toBe('loopback');
    // The api believes only the web container, at an address the file pins outside the range
    // Docker hands out, so no other container (and no client) can hold it.
    const webAddress = unquote(section(services.get('web')!, 'networks', 'default', 'ipv4_address')[0] ?? '');
    expect(webAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(environment('api').get('TRUST_PROXY')).toBe(`loopback,${webAddress}`);
    const ipam = section(normalized, 'networks', 'default', 'ipam', 'config').join('\n');
    const subnet = /subnet:\s*(\S+)/.exec(ipam)?.[1];
    const ipRange = /ip_range:\s*(\S+)/.exec(ipam)?.[1];
    expect({ subnet, ipRange }).toEqual({ subnet: '172.30.250.0/24', ipRange: '172.30.250.128/25' });
    const lastOctet = Number(webAddress.split('.')[3]);
    expect(webAddress.startsWith('172.30.250.')).toBe(true);
    expect(lastOctet).toBeLessThan(128); // outside ip_range
    // No service with a published port trusts whole private ranges.
    for (const [name, lines] of services) {
      if (!mapOf(lines).has('ports')) continue;
      const trust = environment(name).get('TRUST_PROXY') ?? '';
      expect({ name, trust }).toEqual({ name, trust: expect.not.stringMatching(/uniquelocal|\/\d+|true|^\d+$/) });
    }
  });

    it('registers the search attributes the workflows set', () => {
    const env = mapOf(section(services.get('temporal-namespace') ?? [], 'environment'));
    const pairs = (env.get('SEARCH_ATTRIBUTES') ?? []).map(unquote).join(' ').split(/\s+/).filter(Boolean);
    expect(pairs.sort()).toEqual(['GraphVersion=Int', 'TeamId=Keyword', 'TrellisWorkflowId=Keyword', 'TriggerType=Keyword']);
  });

  describe('a broken copy', () => {
    let dir = '';
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'trellis-compose-'));
    });
    afterAll(() => {
      rmSync(dir, { recursive: true, force: true });
    });

    /** The file with `line` added as the first property of `service`. */
    const withServiceLine = (text: string, service: string, line: string) => {
      const anchor = `\n  ${service}:\n`;
      if (!text.includes(anchor)) throw new Error(`service ${service} not found at two-space indentation`);
      return text.replace(anchor, `${anchor}    ${line}\n`);
    };

    it.each([
      ['an unknown service option', (text: string) => withServiceLine(text, 'api', 'bogus_option: 1'), 'bogus_option'],
      ['an unknown top-level key', (text: string) => `${text}\nbogus_top_level:\n  x: 1\n`, 'bogus_top_level'],
      ['depends_on that is not a list or map', (text: string) => withServiceLine(text, 'redis', 'depends_on: 5'), 'depends_on'],
    ])('with %s is rejected, naming the bad key', (_label, breakIt, badKey) => {
      const file = join(dir, `${badKey}.yml`);
      writeFileSync(file, breakIt(readFileSync(COMPOSE_FILE, 'utf8')));
      const result = compose(['-f', file, 'config', '-q']);
      expect(result.status).not.toBe(0);
      expect(result.output).toContain(badKey);
    });
  });
});
