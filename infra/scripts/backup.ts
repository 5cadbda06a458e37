// `npm run backup` and `npm run restore <archive>` (docs/decisions/034-backup-and-retention.md,
// docs/operations.md). One archive (tar.gz) holds:
//   manifest.json     what is inside, when, from which database kinds, the vault key ids
//   temporal.db       the Temporal dev server's file (SQLite online backup), or
//   temporal-<db>.pgdump   pg_dump of the Temporal databases (--temporal-postgres <url>)
//   app.sqlite        the app database (SQLite online backup), or app.pgdump (pg_dump -Fc);
//                     blobs live in its `blob` table, so they come with it
// Temporal is copied FIRST: a run the app database knows and Temporal does not is re-launched by
// the reconciler, while the reverse (a workflow whose run row is missing) could not be repaired.
// The vault key itself is never written: only its id (and the ids that sealed stored secrets), so
// restore can refuse a key that would not open them.
//   backup  [--out <file>] [--temporal-db <file> | --temporal-postgres <url> | --no-temporal]
//   restore <archive> [--secret-key-file <file>] [--temporal-postgres <url>] [--ignore-key-mismatch]
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { backup as sqliteBackup, DatabaseSync } from 'node:sqlite';
import { loadConfig, type Config } from '../../core/config.ts';
import { vaultKey } from '../../core/credentials/vault.ts';
import { isPostgresUrl } from '../../core/db/orm.ts';
import { postgresBinDir } from './services.ts';

export const BACKUP_FORMAT = 'trellis-backup';
export const BACKUP_VERSION = 1;

export interface Manifest {
  format: typeof BACKUP_FORMAT;
  version: number;
  createdAt: string;
  database: { kind: 'sqlite'; file: 'app.sqlite' } | { kind: 'postgres'; file: 'app.pgdump' };
  temporal: { kind: 'sqlite'; file: 'temporal.db' } | { kind: 'postgres'; databases: string[] } | { kind: 'none' };
  /** Ids (sha-256 prefixes) of keys, never keys: the configured one and those that sealed stored secrets. */
  vault: { currentKeyId: string | null; keyIdsInUse: string[] };
  /** Where blobs are: in the app database's `blob` table (core/blobs/store.ts). */
  blobs: 'app-database';
}

class BackupError extends Error {}

const sqlitePath = (url: string) => resolve(url.slice('sqlite:'.length));
const TEMPORAL_DATABASES = ['temporal', 'temporal_visibility'];

function pgTool(name: string): string {
  const dir = postgresBinDir();
  return dir && existsSync(join(dir, name)) ? join(dir, name) : name;
}

/** Copies a live SQLite database consistently: one step copies every page inside one read transaction. */
async function copySqlite(source: string, target: string): Promise<void> {
  if (!existsSync(source)) throw new BackupError(`${source} does not exist`);
  const db = new DatabaseSync(source);
  try {
    await sqliteBackup(db, target, { rate: 2 ** 30 });
  } finally {
    db.close();
  }
  // The copy keeps the source's WAL flag; as a rollback-journal file it is one self-contained file.
  const copy = new DatabaseSync(target);
  copy.exec('pragma journal_mode = delete');
  copy.close();
}

/** Key ids found in every `key_id` column of the app database (sealed credentials, webhook and channel secrets). */
function keyIdsInSqlite(file: string): string[] {
  const db = new DatabaseSync(file, { readOnly: true });
  try {
    const tables = db.prepare("select m.name as name from sqlite_master m join pragma_table_info(m.name) p where m.type = 'table' and p.name = 'key_id'").all() as { name: string }[];
    const ids = new Set<string>();
    for (const { name } of tables) {
      for (const row of db.prepare(`select distinct key_id as id from "${name.replaceAll('"', '""')}" where key_id is not null`).all() as { id: string }[]) ids.add(row.id);
    }
    return [...ids].sort();
  } finally {
    db.close();
  }
}

function psql(url: string, sql: string): string[] {
  const out = execFileSync(pgTool('psql'), ['--no-psqlrc', '-At', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql], { encoding: 'utf8' });
  return out.split('\n').filter(Boolean);
}

function keyIdsInPostgres(url: string): string[] {
  const tables = psql(url, "select table_name from information_schema.columns where table_schema = current_schema() and column_name = 'key_id'");
  if (!tables.length) return [];
  const union = tables.map((t) => `select key_id from "${t.replaceAll('"', '""')}" where key_id is not null`).join(' union ');
  return psql(url, `select distinct key_id from (${union}) k order by 1`);
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** The keys this configuration opens secrets with: TRELLIS_SECRET_KEY (or the dev key file) and the previous ones. */
function configuredKeyIds(config: Config, dataDir: string, keyFile?: string): { current: string | null; all: string[] } {
  const devFile = join(dataDir, 'secret.key');
  const current = keyFile ? readFileSync(keyFile, 'utf8').trim() : config.secretKey ?? (existsSync(devFile) ? readFileSync(devFile, 'utf8').trim() : undefined);
  const currentId = current ? vaultKey(current).id : null;
  return { current: currentId, all: [...(currentId ? [currentId] : []), ...config.previousSecretKeys.map((k) => vaultKey(k).id)] };
}

export async function createBackup(config: Config, options: { out?: string; temporalDb?: string; temporalPostgres?: string; noTemporal?: boolean }): Promise<{ archive: string; manifest: Manifest }> {
  const dataDir = resolve(config.dataDir);
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  const archive = resolve(options.out ?? `trellis-backup-${stamp}.tar.gz`);
  const staging = mkdtempSync(join(tmpdir(), 'trellis-backup-'));
  try {
    // 1. Temporal first (see the header).
    let temporal: Manifest['temporal'];
    if (options.temporalPostgres) {
      for (const db of TEMPORAL_DATABASES) {
        execFileSync(pgTool('pg_dump'), ['--format=custom', '--no-owner', '--no-privileges', '-f', join(staging, `temporal-${db}.pgdump`), '-d', withDatabase(options.temporalPostgres, db)], { stdio: ['ignore', 'ignore', 'pipe'] });
      }
      temporal = { kind: 'postgres', databases: TEMPORAL_DATABASES };
    } else if (options.noTemporal) {
      temporal = { kind: 'none' };
    } else {
      const file = resolve(options.temporalDb ?? join(dataDir, 'temporal.db'));
      if (!existsSync(file)) {
        throw new BackupError(`Temporal's dev server file ${file} does not exist: pass --temporal-db <file>, --temporal-postgres <url> (a Temporal cluster on PostgreSQL), or --no-temporal to leave runs in flight out`);
      }
      await copySqlite(file, join(staging, 'temporal.db'));
      temporal = { kind: 'sqlite', file: 'temporal.db' };
    }
    // 2. The app database, blobs included.
    let database: Manifest['database'];
    let keyIdsInUse: string[];
    if (isPostgresUrl(config.database.url)) {
      execFileSync(pgTool('pg_dump'), ['--format=custom', '--no-owner', '--no-privileges', '-f', join(staging, 'app.pgdump'), '-d', config.database.url], { stdio: ['ignore', 'ignore', 'pipe'] });
      database = { kind: 'postgres', file: 'app.pgdump' };
      keyIdsInUse = keyIdsInPostgres(config.database.url);
    } else {
      await copySqlite(sqlitePath(config.database.url), join(staging, 'app.sqlite'));
      database = { kind: 'sqlite', file: 'app.sqlite' };
      keyIdsInUse = keyIdsInSqlite(join(staging, 'app.sqlite'));
    }
    const manifest: Manifest = {
      format: BACKUP_FORMAT,
      version: BACKUP_VERSION,
      createdAt: new Date().toISOString(),
      database,
      temporal,
      vault: { currentKeyId: configuredKeyIds(config, dataDir).current, keyIdsInUse },
      blobs: 'app-database',
    };
    writeFileSync(join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    mkdirSync(dirname(archive), { recursive: true });
    const partial = `${archive}.partial-${randomBytes(4).toString('hex')}`;
    execFileSync('tar', ['-czf', partial, '-C', staging, ...readdirSync(staging).sort()]);
    execFileSync('mv', [partial, archive]);
    return { archive, manifest };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function readManifest(dir: string): Manifest {
  const file = join(dir, 'manifest.json');
  if (!existsSync(file)) throw new BackupError('this archive has no manifest.json: it is not a Trellis backup');
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
  if (manifest.format !== BACKUP_FORMAT) throw new BackupError('manifest.json is not a Trellis backup manifest');
  if (manifest.version > BACKUP_VERSION) throw new BackupError(`this backup has format version ${manifest.version}; this Trellis reads up to ${BACKUP_VERSION}`);
  return manifest;
}

function postgresHasTables(url: string): boolean {
  return psql(url, "select count(*) from information_schema.tables where table_schema = current_schema()")[0] !== '0';
}

export async function restoreBackup(config: Config, archive: string, options: { secretKeyFile?: string; temporalPostgres?: string; ignoreKeyMismatch?: boolean }): Promise<Manifest> {
  const dataDir = resolve(config.dataDir);
  if (!existsSync(archive) || !statSync(archive).isFile()) throw new BackupError(`${archive} is not a file`);
  if (existsSync(dataDir) && readdirSync(dataDir).length > 0) {
    throw new BackupError(`${dataDir} is not empty: restore only into an empty data folder (TRELLIS_DATA_DIR), so nothing there is overwritten`);
  }
  const staging = mkdtempSync(join(tmpdir(), 'trellis-restore-'));
  try {
    execFileSync('tar', ['-xzf', resolve(archive), '-C', staging, '--no-same-owner']);
    const manifest = readManifest(staging);

    // The vault: every key that sealed a stored secret must be configured, or those secrets stay shut.
    const keys = configuredKeyIds(config, dataDir, options.secretKeyFile);
    const missing = manifest.vault.keyIdsInUse.filter((id) => !keys.all.includes(id));
    if (missing.length && !options.ignoreKeyMismatch) {
      throw new BackupError(
        `stored secrets were sealed with vault key${missing.length > 1 ? 's' : ''} ${missing.join(', ')}, which ${keys.current ? `the configured key (${keys.current}) is not` : 'is not configured'}: ` +
          'set TRELLIS_SECRET_KEY (and TRELLIS_SECRET_KEYS_PREVIOUS) as on the backed-up instance, or pass --secret-key-file <file> (a development .data/secret.key); --ignore-key-mismatch restores anyway (those secrets will not open)',
      );
    }

    // The app database.
    const dbIsPostgres = isPostgresUrl(config.database.url);
    if ((manifest.database.kind === 'postgres') !== dbIsPostgres) {
      throw new BackupError(`this backup holds a ${manifest.database.kind} database but DATABASE_URL is ${dbIsPostgres ? 'PostgreSQL' : 'SQLite'}: restore into the same kind`);
    }
    if (manifest.temporal.kind === 'postgres' && !options.temporalPostgres) {
      throw new BackupError('this backup holds Temporal databases from PostgreSQL: pass --temporal-postgres <url of the empty Temporal PostgreSQL server>');
    }
    if (manifest.database.kind === 'postgres') {
      if (postgresHasTables(config.database.url)) throw new BackupError('the database of DATABASE_URL is not empty: restore only into an empty database');
    } else if (existsSync(sqlitePath(config.database.url))) {
      throw new BackupError(`${sqlitePath(config.database.url)} already exists: restore only into an empty place`);
    }
    if (manifest.temporal.kind === 'postgres') {
      const existing = psql(withDatabase(options.temporalPostgres!, 'postgres'), 'select datname from pg_database');
      const clash = manifest.temporal.databases.filter((db) => existing.includes(db));
      if (clash.length) throw new BackupError(`the Temporal PostgreSQL server already has ${clash.join(', ')}: restore only into a server without them`);
    }

    mkdirSync(dataDir, { recursive: true });
    if (manifest.database.kind === 'postgres') {
      execFileSync(pgTool('pg_restore'), ['--no-owner', '--no-privileges', '--exit-on-error', '-d', config.database.url, join(staging, 'app.pgdump')], { stdio: ['ignore', 'ignore', 'pipe'] });
    } else {
      const target = sqlitePath(config.database.url);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(join(staging, 'app.sqlite'), target);
    }
    if (manifest.temporal.kind === 'sqlite') {
      copyFileSync(join(staging, 'temporal.db'), join(dataDir, 'temporal.db'));
    } else if (manifest.temporal.kind === 'postgres') {
      for (const db of manifest.temporal.databases) {
        execFileSync(pgTool('pg_restore'), ['--create', '--no-owner', '--no-privileges', '--exit-on-error', '-d', withDatabase(options.temporalPostgres!, 'postgres'), join(staging, `temporal-${db}.pgdump`)], { stdio: ['ignore', 'ignore', 'pipe'] });
      }
    }
    if (options.secretKeyFile) writeFileSync(join(dataDir, 'secret.key'), `${readFileSync(options.secretKeyFile, 'utf8').trim()}\n`, { mode: 0o600 });
    return manifest;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  const config = loadConfig();
  if (command === 'backup') {
    const { values } = parseArgs({ args: rest, options: { out: { type: 'string' }, 'temporal-db': { type: 'string' }, 'temporal-postgres': { type: 'string' }, 'no-temporal': { type: 'boolean' } } });
    const { archive, manifest } = await createBackup(config, { out: values.out, temporalDb: values['temporal-db'], temporalPostgres: values['temporal-postgres'], noTemporal: values['no-temporal'] });
    console.log(`backup written to ${archive} (${(statSync(archive).size / 1024).toFixed(0)} KiB): ${manifest.database.kind} app database with its blobs, Temporal ${manifest.temporal.kind === 'none' ? 'NOT included' : `(${manifest.temporal.kind})`}, vault key id ${manifest.vault.currentKeyId ?? 'none'} (the key itself is not in the archive)`);
  } else if (command === 'restore') {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { 'secret-key-file': { type: 'string' }, 'temporal-postgres': { type: 'string' }, 'ignore-key-mismatch': { type: 'boolean' } } });
    if (positionals.length !== 1) throw new BackupError('usage: npm run restore -- <archive> [--secret-key-file <file>] [--temporal-postgres <url>] [--ignore-key-mismatch]');
    const manifest = await restoreBackup(config, positionals[0]!, { secretKeyFile: values['secret-key-file'], temporalPostgres: values['temporal-postgres'], ignoreKeyMismatch: values['ignore-key-mismatch'] });
    console.log(`restored the backup of ${manifest.createdAt} into ${resolve(config.dataDir)}${manifest.database.kind === 'postgres' ? ' and DATABASE_URL' : ''}; start Trellis as usual (npm start) — runs parked in the backup carry on`);
  } else {
    throw new BackupError(`usage: node ${basename(import.meta.filename)} backup|restore …`);
  }
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    const known = error instanceof BackupError;
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    console.error(`✗ ${(error as Error).message}${stderr && !known ? `\n${stderr}` : ''}`);
    process.exit(1);
  });
}
