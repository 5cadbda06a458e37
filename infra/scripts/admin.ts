// `npm run admin -- <command>`: the instance admin's actions from a shell with database access
// (docs/decisions/035-instance-admin.md), through the same service as /api/v1/admin.
//   teams [name]            every team (or those whose name contains `name`) with plan and usage
//   plan <teamId> <plan>    move a team to another plan (free | pro | enterprise)
import { userInfo } from 'node:os';
import { ChangePlanRequest, createInstanceAdmins } from '../../core/admin/service.ts';
import { loadConfig } from '../../core/config.ts';
import { createOrm } from '../../core/db/orm.ts';
import { createLogger } from '../../core/log.ts';

const [command, ...args] = process.argv.slice(2);
const usage = 'usage: npm run admin -- teams [name] | plan <teamId> <free|pro|enterprise>';
if (command !== 'teams' && command !== 'plan') {
  console.error(usage);
  process.exit(2);
}

const config = loadConfig();
const logger = createLogger({ level: config.logLevel, service: 'admin-cli' });
const orm = await createOrm(config.database.url, logger);
const admins = createInstanceAdmins({ orm, emails: config.admin.emails, logger });
try {
  if (command === 'plan') {
    const [teamId, plan] = args;
    const parsed = ChangePlanRequest.safeParse({ plan });
    if (!teamId || !parsed.success) {
      console.error(usage);
      process.exitCode = 2;
    } else {
      const team = await admins.changePlan(teamId, parsed.data.plan, { userId: 'cli', email: `${userInfo().username}@cli` });
      console.log(`${team.id} ${JSON.stringify(team.name)} is now on the ${team.plan} plan`);
    }
  } else {
    let cursor: string | undefined;
    do {
      const page = await admins.listTeams({ limit: 100, cursor, q: args[0] });
      for (const team of page.items) {
        console.log([team.id, team.plan, `runs=${team.usage.runs}`, `aiTokens=${team.usage.aiTokens}`, `costUsd=${team.usage.costUsd}`, `members=${team.members}`, JSON.stringify(team.name)].join('\t'));
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
} catch (error) {
  console.error((error as Error).message);
  process.exitCode = 1;
} finally {
  await orm.close();
}
