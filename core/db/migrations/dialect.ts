// Migrations hold SQL for both supported databases side by side, so one ordered list of
// migrations serves SQLite and PostgreSQL (see docs/decisions/004-database.md).
import { Migration } from '@mikro-orm/migrations';
import { PostgreSqlPlatform } from '@mikro-orm/postgresql';

export abstract class DualMigration extends Migration {
  abstract readonly sql: { sqlite: string[]; postgresql: string[] };

  override up(): void {
    const dialect = this.driver.getPlatform() instanceof PostgreSqlPlatform ? 'postgresql' : 'sqlite';
    for (const statement of this.sql[dialect]) this.addSql(statement);
  }
}
