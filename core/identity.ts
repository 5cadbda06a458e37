// Accounts and tenancy, assembled from their parts: one object the api (and tests) build once
// from config and clients, and hand to the routes and middleware.
import type { Client } from '@temporalio/client';
import type { Config } from './config.ts';
import type { Orm } from './db/orm.ts';
import type { Logger } from './log.ts';
import type { Redis } from './redis/client.ts';
import { createInstanceAdmins } from './admin/service.ts';
import { createOAuthService } from './auth/oauth.ts';
import { createLoginThrottle } from './auth/login-throttle.ts';
import { createAuthService } from './auth/service.ts';
import { createSessionService } from './auth/sessions.ts';
import { createKeyService } from './keys/service.ts';
import { createRateLimiter } from './limits/limiter.ts';
import { createMailOutbox, type MailOutbox } from './mail/outbox.ts';
import { createTeamService } from './teams/service.ts';
import { createUsageService } from './usage/service.ts';

export type IdentityConfig = Pick<Config, 'env' | 'dataDir' | 'web' | 'smtp' | 'mail' | 'auth' | 'rateLimit' | 'admin'>;

export interface IdentityDeps {
  config: IdentityConfig;
  orm: Orm;
  redis: Redis;
  logger: Logger;
  /** Starts mail deliveries at once; without it the worker's sweeper starts them (within a minute). */
  temporal?: Client;
  mail?: MailOutbox;
}

export type Identity = ReturnType<typeof createIdentity>;

export function createIdentity(deps: IdentityDeps) {
  const { config, orm, logger } = deps;
  const mail = deps.mail ?? createMailOutbox({
    orm, temporal: deps.temporal, taskQueue: config.mail.taskQueue, logger,
    // The link of a message the worker only writes to a file: development, never production (L3).
    logLinks: !config.smtp.url && config.env !== 'production',
  });
  const publicUrl = config.web.publicUrl;
  const sessions = createSessionService({ orm, ttlDays: config.auth.sessionTtlDays, maxDays: config.auth.sessionMaxDays });
  const teams = createTeamService({ orm, mail, publicUrl, logger });
  const auth = createAuthService({ orm, sessions, teams, mail, publicUrl, logger });
  return {
    config,
    mail,
    sessions,
    teams,
    auth,
    keys: createKeyService({ orm }),
    admins: createInstanceAdmins({ orm, emails: config.admin.emails, logger }),
    usage: createUsageService({ orm }),
    oauth: createOAuthService(config),
    limiter: createRateLimiter({ redis: deps.redis, logger }),
    loginThrottle: createLoginThrottle({ redis: deps.redis, settings: config.rateLimit, logger }),
  };
}
