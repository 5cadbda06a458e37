// The same migrations build the schema on SQLite and on PostgreSQL, and entities round-trip.
import { join } from 'node:path';
import { createOrm, migrate } from '../../core/db/orm.ts';
import { RunRecord } from '../../core/runs/entities.ts';
import { tempDir, testEnv } from '../support/env.ts';
import { randomUUID } from 'node:crypto';

const databases = [
  ['SQLite', () => `sqlite:${join(tempDir('db'), 'app.sqlite')}`],
  ['PostgreSQL', () => testEnv.postgresUrl],
] as const;

describe.each(databases)('database on %s', (_name, url) => {
  it('applies the migrations once, then has nothing left to apply', async () => {
    const orm = await createOrm(url());
    try {
      // PostgreSQL is shared by the run: the first suite there applies, later ones find nothing.
      await migrate(orm);
      expect(await migrate(orm)).toEqual([]);
      const id = `run_${randomUUID()}`;
      const em = orm.em.fork();
      em.create(RunRecord, { id, teamId: 't', workflowId: 'w', version: 3, trigger: 'api', status: 'running', startedAt: new Date('2026-01-02T03:04:05.678Z') });
      await em.flush();
      const row = await orm.em.fork().findOneOrFail(RunRecord, { id });
      expect(row.version).toBe(3);
      expect(row.startedAt.toISOString()).toBe('2026-01-02T03:04:05.678Z');
      expect(row.endedAt).toBeNull();
    } finally {
      await orm.close();
    }
  });
});
