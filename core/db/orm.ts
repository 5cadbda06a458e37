// The ORM factory: SQLite by default, PostgreSQL when DATABASE_URL says postgres://.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { MikroORM as SqliteORM } from '@mikro-orm/sqlite';
import { MikroORM as PostgresORM } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import type { MikroORM } from '@mikro-orm/core';
import type { Logger } from '../log.ts';
import { entities } from './entities.ts';
import { migrationsList } from './migrations/index.ts';

export type Orm = MikroORM;

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

export async function createOrm(databaseUrl: string, logger?: Logger): Promise<Orm> {
  const common = {
    entities,
    extensions: [Migrator],
    migrations: { migrationsList, transactional: true, allOrNothing: true, snapshot: false },
    allowGlobalContext: false,
    debug: false,
    logger: (message: string) => logger?.debug({ orm: message }, 'orm'),
  };
  if (isPostgresUrl(databaseUrl)) {
    return (await PostgresORM.init({ ...common, clientUrl: databaseUrl, pool: { max: 10 } })) as unknown as Orm;
  }
  const file = resolve(databaseUrl.slice('sqlite:'.length));
  mkdirSync(dirname(file), { recursive: true });
  const orm = await SqliteORM.init({ ...common, dbName: file });
  // WAL lets the api read while the worker writes; busy_timeout waits instead of failing.
  await orm.em.getConnection().execute('pragma journal_mode = wal');
  await orm.em.getConnection().execute('pragma busy_timeout = 5000');
  return orm as unknown as Orm;
}

/** Applies pending migrations; returns the names applied. */
export async function migrate(orm: Orm): Promise<string[]> {
  const applied = await orm.migrator.up();
  return applied.map((m) => m.name);
}
