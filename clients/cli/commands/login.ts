// trellis login|logout|whoami: an API key (the api tells its team) or an email/password
// session, kept in ~/.config/trellis/config.json; the key itself is never printed.
import { readFileSync } from 'node:fs';
import { TrellisClient } from '../../typescript/index.ts';
import { configPath, keyTeam, readConfig, removeConfig, resolveConfig, writeConfig, type CliConfig } from '../config.ts';
import { EXIT, UsageError, type Io } from '../output.ts';

export interface LoginOptions {
  url?: string;
  key?: string;
  team?: string;
  email?: string;
  password?: string;
  passwordStdin?: boolean;
}

export async function login(io: Io, options: LoginOptions, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const url = (options.url ?? env.TRELLIS_URL)?.replace(/\/+$/, '');
  if (!url) throw new UsageError('pass --url, the instance to log in to (e.g. http://localhost:3000)');
  try {
    new URL(url);
  } catch {
    throw new UsageError(`--url ${url} is not a URL`);
  }
  const key = options.key ?? (options.email ? undefined : env.TRELLIS_API_KEY);
  let config: CliConfig;
  if (key) {
    if (!key.startsWith('trk_')) throw new UsageError('--key must be an API key (trk_…)');
    // The api tells a key its team (and refuses an unknown, expired or revoked key); --team may only agree.
    const teamId = await keyTeam(url, key);
    const named = options.team ?? env.TRELLIS_TEAM;
    if (named && named !== teamId) throw new UsageError(`this API key belongs to team ${teamId}, not ${named}`);
    config = { url, teamId, apiKey: key };
  } else if (options.email) {
    // From stdin or the environment, a password stays out of the shell's history and the process list.
    const password = options.passwordStdin ? readFileSync(0, 'utf8').replace(/\r?\n$/, '') : options.password ?? env.TRELLIS_PASSWORD;
    if (!password) throw new UsageError('pass --password-stdin, set TRELLIS_PASSWORD or pass --password');
    const session = await TrellisClient.login(url, { email: options.email, password });
    const me = await new TrellisClient({ baseUrl: url, auth: { sessionToken: session.token } }).me();
    const { teams } = me;
    const team = options.team ? teams.find((t) => t.id === options.team) : teams.find((t) => t.personal) ?? teams[0];
    if (!team) throw new UsageError(options.team ? `${options.email} is not a member of ${options.team}` : `${options.email} belongs to no team`);
    config = { url, teamId: team.id, sessionToken: session.token };
  } else {
    throw new UsageError('pass --key trk_… (an API key) or --email and --password (a session)');
  }
  const path = writeConfig(config, env);
  io.out(`logged in to ${url} (team ${config.teamId}, ${config.apiKey ? 'API key' : 'session'}); saved to ${path}`);
  return EXIT.ok;
}

export async function logout(io: Io, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const file = readConfig(env);
  if (file.url && file.sessionToken) {
    // Revoke the session server-side too; an unreachable instance still gets the file removed.
    await new TrellisClient({ baseUrl: file.url, auth: { sessionToken: file.sessionToken } }).logout().catch(() => undefined);
  }
  removeConfig(env);
  io.out(`logged out (${configPath(env)} removed)`);
  return EXIT.ok;
}

export async function whoami(io: Io, flags: { url?: string; team?: string }, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const config = await resolveConfig(flags, env);
  const how = config.apiKey ? `API key${env.TRELLIS_API_KEY ? ' (TRELLIS_API_KEY)' : ''}` : config.sessionToken ? 'session' : 'no credentials';
  io.out(`${config.url}  team ${config.teamId}  ${how}`);
  return EXIT.ok;
}
