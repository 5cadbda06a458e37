// The `trellis` command line (docs/cli.md), run by bin/trellis. Arguments are parsed with
// node:util parseArgs: a dozen commands do not justify a dependency.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { clientOf, readConfig, resolveConfig } from './config.ts';
import { EXIT, processIo, report, UsageError, type Io } from './output.ts';
import { login, logout, whoami } from './commands/login.ts';
import { listRuns, runLogs, startRun, watchRun } from './commands/runs.ts';
import { listWebhooks, signWebhook } from './commands/webhooks.ts';
import { applyWorkflows, diffWorkflows, exportWorkflows, listWorkflows } from './commands/workflows.ts';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | undefined>;

interface Command {
  usage: string;
  summary: string;
  options?: Options;
  /** Positional arguments: at least min, at most max (Infinity: any number). */
  args: [min: number, max: number];
  run(values: Values, args: string[], io: Io): Promise<number> | number;
}

const TEAM_OPTIONS: Options = { url: { type: 'string' }, team: { type: 'string' } };
const str = (v: string | boolean | undefined) => (typeof v === 'string' ? v : undefined);
const team = async (values: Values) => {
  const config = await resolveConfig({ url: str(values.url), team: str(values.team) });
  return clientOf(config).team(config.teamId);
};

const COMMANDS: Record<string, Command> = {
  login: {
    usage: 'login --url <instance> (--key trk_… | --email <email> [--password-stdin] [--team <teamId>])',
    summary: 'log in with an API key or a session; saved in ~/.config/trellis/config.json (mode 0600)',
    options: { url: { type: 'string' }, key: { type: 'string' }, team: { type: 'string' }, email: { type: 'string' }, password: { type: 'string' }, 'password-stdin': { type: 'boolean' } },
    args: [0, 0],
    run: (v, _a, io) => login(io, { url: str(v.url), key: str(v.key), team: str(v.team), email: str(v.email), password: str(v.password), passwordStdin: v['password-stdin'] === true }),
  },
  logout: { usage: 'logout', summary: 'forget the login (and revoke a session)', args: [0, 0], run: (_v, _a, io) => logout(io) },
  whoami: { usage: 'whoami', summary: 'the instance, team and kind of credential in use', options: TEAM_OPTIONS, args: [0, 0], run: (v, _a, io) => whoami(io, { url: str(v.url), team: str(v.team) }) },
  'workflows list': {
    usage: 'workflows list [--json]', summary: "the team's workflows", options: { ...TEAM_OPTIONS, json: { type: 'boolean' } }, args: [0, 0],
    run: async (v, _a, io) => listWorkflows(await team(v), io, { json: v.json === true }),
  },
  'workflows export': {
    usage: 'workflows export [--out <dir>] [--format json|yaml]',
    summary: 'one file per workflow (name, description, tool settings, graph) into --out (default ./trellis-workflows)',
    options: { ...TEAM_OPTIONS, out: { type: 'string', short: 'o' }, format: { type: 'string' } }, args: [0, 0],
    run: async (v, _a, io) => {
      const format = str(v.format) ?? 'json';
      if (format !== 'json' && format !== 'yaml') throw new UsageError('--format is json or yaml');
      return exportWorkflows(await team(v), io, { out: str(v.out) ?? 'trellis-workflows', format });
    },
  },
  'workflows apply': {
    usage: 'workflows apply <file|dir>... [--dry-run]',
    summary: 'create missing workflows (by name), update changed ones (a changed graph is a new version), leave the rest',
    options: { ...TEAM_OPTIONS, 'dry-run': { type: 'boolean' } }, args: [1, Infinity],
    run: async (v, a, io) => applyWorkflows(await team(v), io, a, { dryRun: v['dry-run'] === true }),
  },
  'workflows diff': {
    usage: 'workflows diff <file|dir>...', summary: 'node-level differences between files and the instance; exit code 1 when any',
    options: TEAM_OPTIONS, args: [1, Infinity],
    run: async (v, a, io) => diffWorkflows(await team(v), io, a),
  },
  'runs start': {
    usage: 'runs start <workflow id|name> [--input <json>|@file] [--priority 1-5] [--version n] [--idempotency-key k] [--watch]',
    summary: 'start a run (and follow it with --watch)',
    options: { ...TEAM_OPTIONS, input: { type: 'string', short: 'i' }, priority: { type: 'string' }, version: { type: 'string' }, 'idempotency-key': { type: 'string' }, watch: { type: 'boolean', short: 'w' } },
    args: [1, 1],
    run: async (v, a, io) => {
      const client = await team(v);
      const runId = await startRun(client, io, a[0]!, { input: str(v.input), priority: str(v.priority), version: str(v.version), idempotencyKey: str(v['idempotency-key']) });
      return v.watch === true ? watchRun(client, io, runId) : EXIT.ok;
    },
  },
  'runs watch': {
    usage: 'runs watch <runId>', summary: 'follow a run live until it ends; exit code 1 unless it succeeded', options: TEAM_OPTIONS, args: [1, 1],
    run: async (v, a, io) => watchRun(await team(v), io, a[0]!),
  },
  'runs logs': {
    usage: 'runs logs <runId> [--json]', summary: "a run's nodes: states, attempts, errors and outputs", options: { ...TEAM_OPTIONS, json: { type: 'boolean' } }, args: [1, 1],
    run: async (v, a, io) => runLogs(await team(v), io, a[0]!, { json: v.json === true }),
  },
  'runs list': {
    usage: 'runs list [--workflow <id|name>] [--status <status>] [--limit n] [--json]', summary: 'recent runs, newest first',
    options: { ...TEAM_OPTIONS, workflow: { type: 'string' }, status: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } }, args: [0, 0],
    run: async (v, _a, io) => listRuns(await team(v), io, { workflow: str(v.workflow), status: str(v.status), limit: str(v.limit), json: v.json === true }),
  },
  'webhooks list': {
    usage: 'webhooks list <workflow id|name> [--json]', summary: "a workflow's webhooks", options: { ...TEAM_OPTIONS, json: { type: 'boolean' } }, args: [1, 1],
    run: async (v, a, io) => listWebhooks(await team(v), io, a[0]!, { json: v.json === true }),
  },
  'webhooks sign': {
    usage: 'webhooks sign <webhookId> --secret <secret> [--body <json>|@file] [--priority 1-5] [--delivery <id>] [--hook-url <url>]',
    summary: 'print a curl that delivers --body to the webhook, signed (valid for 5 minutes)',
    options: { url: { type: 'string' }, secret: { type: 'string' }, body: { type: 'string' }, priority: { type: 'string' }, delivery: { type: 'string' }, 'hook-url': { type: 'string' } },
    args: [1, 1],
    run: (v, a, io) => {
      const hookUrl = str(v['hook-url']);
      // The hook URL needs only the instance: no team or credentials (the secret is the credential).
      const base = str(v.url) ?? process.env.TRELLIS_URL ?? (hookUrl ? '' : readUrl());
      return signWebhook(base, io, a[0]!, { secret: str(v.secret), body: str(v.body), url: hookUrl, priority: str(v.priority), delivery: str(v.delivery) });
    },
  },
};

function readUrl(): string {
  const url = readConfig().url;
  if (!url) throw new UsageError('pass --url (the instance) or --hook-url, or log in first');
  return url;
}

function help(io: Io): number {
  io.out('usage: trellis <command> [options]   (docs/cli.md)\n');
  for (const command of Object.values(COMMANDS)) {
    io.out(`  trellis ${command.usage}`);
    io.out(`      ${command.summary}`);
  }
  io.out('\nEvery team command takes --url and --team; TRELLIS_URL, TRELLIS_API_KEY and TRELLIS_TEAM override the saved login.');
  return EXIT.ok;
}

export async function main(argv: string[], io: Io = processIo): Promise<number> {
  try {
    const two = `${argv[0]} ${argv[1]}`;
    const name = COMMANDS[two] ? two : COMMANDS[argv[0] ?? ''] ? argv[0]! : undefined;
    if (!name) {
      if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') return help(io);
      throw new UsageError(`unknown command: ${argv.slice(0, 2).join(' ')} (trellis --help lists them)`);
    }
    const command = COMMANDS[name]!;
    const rest = argv.slice(name.split(' ').length);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.out(`usage: trellis ${command.usage}\n  ${command.summary}`);
      return EXIT.ok;
    }
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: command.options ?? {}, allowPositionals: true, strict: true });
    } catch (error) {
      throw new UsageError(`${(error as Error).message.split('\n')[0]}\nusage: trellis ${command.usage}`);
    }
    const [min, max] = command.args;
    if (parsed.positionals.length < min || parsed.positionals.length > max) throw new UsageError(`usage: trellis ${command.usage}`);
    return await command.run(parsed.values as Values, parsed.positionals, io);
  } catch (error) {
    return report(error, io);
  }
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
