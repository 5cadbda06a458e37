// A Temporal server on PostgreSQL for the benchmarks: the production store, as far as one
// machine goes. A private PostgreSQL (initdb in `dir`, free port), the `temporal` and
// `temporal_visibility` databases set up by temporal-sql-tool from the server module's schema,
// then `temporal-server start` with a generated config, namespace `default` and the Trellis search
// attributes (then one restart, so every service starts with them cached). The binaries come from
// infra/scripts/temporal-server.sh (built once, cached).
import { execFile, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  ROOT, freePort, isListening, launch, postgresBinDir, temporalCli, waitFor, type Service,
} from '../../infra/scripts/services.ts';

const run = promisify(execFile);
export const TEMPORAL_SERVER_VERSION = 'v1.31.2';

export interface TemporalPostgres {
  address: string;
  services: Service[];
  stop(): Promise<void>;
}

function tool(name: string, envVar: string): string {
  const path = process.env[envVar] || join(ROOT, '.tools', 'bin', name);
  if (!existsSync(path)) {
    throw new Error(`${name} was not found at ${path}: run \`bash infra/scripts/temporal-server.sh\` (builds it once, several minutes) or set ${envVar}`);
  }
  return path;
}

/**
 * A free port below 32768: the server records each service's membership port in a SMALLINT
 * column (cluster_membership.rpc_port), so ports from the ephemeral range (32768+) fail at start
 * with `value "36795" is out of range for type smallint`.
 */
async function freeLowPort(taken: Set<number>): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (taken.has(port)) continue;
    const free = await new Promise<boolean>((resolve) => {
      const server = createServer();
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) {
      taken.add(port);
      return port;
    }
  }
  throw new Error('no free port found between 20000 and 32000');
}

/** schema/postgresql/v12 of the server module: written by temporal-server.sh, else in the Go module cache. */
function schemaDir(): string {
  const recorded = join(ROOT, '.tools', 'bin', 'temporal-server.schema');
  const candidates = existsSync(recorded) ? [readFileSync(recorded, 'utf8').trim()] : [];
  try {
    const modcache = execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8' }).trim();
    candidates.push(join(modcache, `go.temporal.io/server@${TEMPORAL_SERVER_VERSION}`, 'schema', 'postgresql', 'v12'));
  } catch {
    // no Go on PATH: only the recorded path
  }
  const found = candidates.find((c) => existsSync(join(c, 'temporal', 'versioned')));
  if (!found) throw new Error(`the PostgreSQL schema of go.temporal.io/server@${TEMPORAL_SERVER_VERSION} was not found: run \`bash infra/scripts/temporal-server.sh\``);
  return found;
}

/** A private PostgreSQL with default durability (fsync on) and room for the server's connection pools. */
async function startPostgresForTemporal(dir: string, port: number): Promise<Service> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed: run `npm run setup` (it installs the postgresql package)');
  const asRoot = process.getuid?.() === 0;
  const as = (command: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args]);
  const data = join(dir, 'data');
  mkdirSync(data, { recursive: true });
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(dir, uid, gid);
    chownSync(data, uid, gid);
  }
  const [initCmd, initArgs] = as(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-sync']);
  execFileSync(initCmd, initArgs, { stdio: 'pipe' });
  const [cmd, args] = as(join(bin, 'postgres'), [
    '-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300', '-c', 'shared_buffers=512MB',
  ]);
  const launched = launch('postgresql', cmd, args, { logFile: join(dir, '..', 'postgres.log') });
  // As root, launch() starts runuser, and a SIGKILL to runuser at exit would orphan postgres:
  // kill the whole process group (runuser leads it) instead. The data folder goes at stop.
  const killGroup = () => {
    try {
      if (launched.process.pid) process.kill(-launched.process.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', killGroup);
  const service: Service = {
    ...launched,
    async stop(timeoutMs?: number) {
      await launched.stop(timeoutMs);
      killGroup();
      process.off('exit', killGroup);
      rmSync(data, { recursive: true, force: true });
    },
  };
  await waitFor('PostgreSQL', () => isListening('127.0.0.1', port), 30_000, service);
  await waitFor('PostgreSQL startup', async () => {
    try {
      await run(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres']);
      return true;
    } catch {
      return false;
    }
  }, 30_000, service);
  return service;
}

function serverConfig(o: { pgPort: number; ports: Record<string, number>; dynamicConfigFile: string; shards: number }): string {
  const store = (database: string, maxConns: number) => `
      sql:
        pluginName: postgres12
        databaseName: ${database}
        connectAddr: "127.0.0.1:${o.pgPort}"
        connectProtocol: tcp
        user: postgres
        password: ""
        maxConns: ${maxConns}
        maxIdleConns: ${maxConns}
        maxConnLifetime: 1h`;
  const service = (name: string, extra = '') => `
  ${name}:
    rpc:
      grpcPort: ${o.ports[`${name}Grpc`]}
      membershipPort: ${o.ports[`${name}Membership`]}
      bindOnIP: 127.0.0.1${extra}`;
  const frontend = `127.0.0.1:${o.ports.frontendGrpc}`;
  return `log:
  stdout: true
  level: warn
persistence:
  defaultStore: postgres-default
  visibilityStore: postgres-visibility
  numHistoryShards: ${o.shards}
  datastores:
    postgres-default:${store('temporal', 20)}
    postgres-visibility:${store('temporal_visibility', 10)}
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
services:${service('frontend', `\n      httpPort: ${o.ports.frontendHttp}`)}${service('history')}${service('matching')}${service('worker')}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "${frontend}"
      httpAddress: "127.0.0.1:${o.ports.frontendHttp}"
dcRedirectionPolicy:
  policy: noop
archival:
  history:
    state: disabled
  visibility:
    state: disabled
namespaceDefaults:
  archival:
    history:
      state: disabled
    visibility:
      state: disabled
publicClient:
  hostPort: "${frontend}"
dynamicConfigClient:
  filepath: "${o.dynamicConfigFile}"
  pollInterval: 10s
`;
}

// Production defaults, spelled out where the dev server differs. SQL (postgres12) visibility
// takes custom search attributes without any setting; the dev server forces a search-attribute
// cache refresh from the database on every read ("should not be turned on in production"), so
// here the server is restarted once after registering them instead, to start with fresh caches.
// The visibility rate is raised as the dev server does, for run listings.
const DYNAMIC_CONFIG = `system.forceSearchAttributesCacheRefreshOnRead:
  - value: false
frontend.namespaceRPS.visibility:
  - value: 100
`;

export async function startTemporalPostgres(options: { dir: string; searchAttributes: Record<string, string>; shards?: number }): Promise<TemporalPostgres> {
  const server = tool('temporal-server', 'TEMPORAL_SERVER');
  const sqlTool = tool('temporal-sql-tool', 'TEMPORAL_SQL_TOOL');
  const schema = schemaDir();
  const cli = temporalCli();
  const dir = join(options.dir, 'temporal-pg');
  mkdirSync(dir, { recursive: true });
  const pgPort = await freePort();
  const services: Service[] = [];
  const stop = async () => {
    for (const service of [...services].reverse()) await service.stop();
  };
  try {
    services.push(await startPostgresForTemporal(join(dir, 'pg'), pgPort));

    const sql = (database: string, ...args: string[]) =>
      run(sqlTool, ['--plugin', 'postgres12', '--endpoint', '127.0.0.1', '--port', String(pgPort), '--user', 'postgres', '--database', database, ...args]);
    for (const [database, versioned] of [['temporal', 'temporal'], ['temporal_visibility', 'visibility']] as const) {
      await sql(database, 'create-database', '--defaultdb', 'postgres');
      await sql(database, 'setup-schema', '--version', '0.0');
      await sql(database, 'update-schema', '--schema-dir', join(schema, versioned, 'versioned'));
    }

    const names = ['frontendGrpc', 'frontendHttp', 'frontendMembership', 'historyGrpc', 'historyMembership', 'matchingGrpc', 'matchingMembership', 'workerGrpc', 'workerMembership'];
    const ports: Record<string, number> = {};
    const taken = new Set<number>();
    for (const name of names) ports[name] = await freeLowPort(taken);
    const configDir = join(dir, 'config');
    mkdirSync(configDir, { recursive: true });
    const dynamicConfigFile = join(configDir, 'dynamicconfig.yaml');
    writeFileSync(dynamicConfigFile, DYNAMIC_CONFIG);
    writeFileSync(join(configDir, 'bench.yaml'), serverConfig({ pgPort, ports, dynamicConfigFile, shards: options.shards ?? 4 }));
    const address = `127.0.0.1:${ports.frontendGrpc}`;
    const startServer = async (): Promise<Service> => {
      const temporal = launch('temporal-server', server, ['--root', dir, '--config', 'config', '--env', 'bench', '--allow-no-auth', 'start'], {
        logFile: join(options.dir, 'temporal-server.log'),
        cwd: dir,
      });
      services.push(temporal);
      await waitFor('Temporal server (frontend)', async () => {
        try {
          const { stdout } = await run(cli, ['operator', 'cluster', 'health', '--address', address]);
          return stdout.includes('SERVING');
        } catch {
          return false;
        }
      }, 120_000, temporal);
      return temporal;
    };
    const temporal = await startServer();

    await run(cli, ['operator', 'namespace', 'create', '--address', address, '--namespace', 'default', '--retention', '1d']);
    // The CLI pairs each --name with the --type at the same position (one --type for several
    // names registers only the first name).
    const attributes = Object.entries(options.searchAttributes).flatMap(([name, type]) => ['--name', name, '--type', type]);
    await waitFor('search attributes', async () => {
      try {
        await run(cli, ['operator', 'search-attribute', 'create', '--address', address, '--namespace', 'default', ...attributes]);
        return true;
      } catch {
        return false; // the namespace is not yet in every service's cache
      }
    }, 60_000, temporal);
    await temporal.stop();
    services.pop();
    await startServer();
    return { address, services, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
