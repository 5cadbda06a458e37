// Where the CLI keeps its login: ~/.config/trellis/config.json (XDG_CONFIG_HOME honoured), a
// folder only the user may enter and a file only the user may read, since it holds a key or a
// session token. TRELLIS_URL, TRELLIS_API_KEY and TRELLIS_TEAM override it (CI jobs need no file;
// an API key tells its own team).
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { TrellisClient, type TrellisAuth } from '../typescript/index.ts';
import { UsageError } from './output.ts';

export interface CliConfig {
  url: string;
  teamId: string;
  apiKey?: string;
  sessionToken?: string;
}

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'trellis', 'config.json');
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): Partial<CliConfig> {
  const path = configPath(env);
  if (!existsSync(path)) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Partial<CliConfig>;
  } catch (error) {
    throw new UsageError(`${path} is not valid JSON (${(error as Error).message}): run trellis login again`);
  }
}

export function writeConfig(config: CliConfig, env: NodeJS.ProcessEnv = process.env): string {
  const path = configPath(env);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  chmodSync(dirname(path), 0o700); // a folder made earlier (by hand) may let others in
  writeFileSync(path, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600); // an older file keeps its mode on write
  return path;
}

export function removeConfig(env: NodeJS.ProcessEnv = process.env): void {
  rmSync(configPath(env), { force: true });
}

/**
 * The settings in force: environment first, then the file, then the command's own --url/--team.
 * An API key without a team named anywhere is asked which team it belongs to.
 */
export async function resolveConfig(flags: { url?: string; team?: string }, env: NodeJS.ProcessEnv = process.env): Promise<CliConfig> {
  const file = readConfig(env);
  const url = flags.url ?? env.TRELLIS_URL ?? file.url;
  // An API key from the environment replaces the file's session as well as its key.
  const credentials = env.TRELLIS_API_KEY ? { apiKey: env.TRELLIS_API_KEY } : { ...(file.apiKey ? { apiKey: file.apiKey } : {}), ...(file.sessionToken ? { sessionToken: file.sessionToken } : {}) };
  if (!url) throw new UsageError('not logged in: run trellis login --url <instance> --key trk_… (or set TRELLIS_URL and TRELLIS_API_KEY)');
  const teamId = flags.team ?? env.TRELLIS_TEAM ?? file.teamId ?? (credentials.apiKey ? await keyTeam(url, credentials.apiKey) : undefined);
  if (!teamId) throw new UsageError('no team: pass --team or set TRELLIS_TEAM (trellis login remembers one)');
  return { url, teamId, ...credentials };
}

/** The team an API key belongs to, from the api (GET /api/v1/api-key). */
export async function keyTeam(url: string, apiKey: string): Promise<string> {
  return (await clientOf({ url, teamId: '', apiKey }).call('getCurrentApiKey')).team.id;
}

export function authOf(config: CliConfig): TrellisAuth {
  if (config.apiKey) return { apiKey: config.apiKey };
  if (config.sessionToken) return { sessionToken: config.sessionToken };
  throw new UsageError('no credentials: run trellis login (or set TRELLIS_API_KEY)');
}

export function clientOf(config: CliConfig): TrellisClient {
  return new TrellisClient({ baseUrl: config.url, auth: authOf(config), headers: { 'user-agent': 'trellis-cli' } });
}
