// Accounts and tenancy, assembled from their parts: one object the api (and tests) build once
// from config and clients, and hand to the routes and middleware.
import type { Config } from './config.ts';
import type { Orm } from './db/orm.ts';
import type { Logger } from './log.ts';
import type { Redis } from './redis/client.ts';
import { createOAuthService } from './auth/oauth.ts';
import { createAuthService } from './auth/service.ts';
import { createSessionService } from './auth/sessions.ts';
import { createKeyService } from './keys/service.ts';
import { createRateLimiter } from './limits/limiter.ts';
import { createMailer, type Mailer } from './mail/mailer.ts';
import { createTeamService } from './teams/service.ts';
import { createUsageService } from './usage/service.ts';

export type IdentityConfig = Pick<Config, 'env' | 'dataDir' | 'web' | 'smtp' | 'mail' | 'auth' | 'rateLimit'>;

export interface IdentityDeps {
  config: IdentityConfig;
  orm: Orm;
  redis: Redis;
  logger: Logger;
  mailer?: Mailer;
}

export type Identity = ReturnType<typeof createIdentity>;

export function createIdentity(deps: IdentityDeps) {
  const { config, orm, logger } = deps;
  const mailer = deps.mailer ?? createMailer({ config, logger });
  const publicUrl = config.web.publicUrl;
  const sessions = createSessionService({ orm, ttlDays: config.auth.sessionTtlDays, maxDays: config.auth.sessionMaxDays });
  const teams = createTeamService({ orm, mailer, publicUrl, logger });
  const auth = createAuthService({ orm, sessions, teams, mailer, publicUrl, logger });
  return {
    config,
    mailer,
    sessions,
    teams,
    auth,
    keys: createKeyService({ orm }),
    usage: createUsageService({ orm }),
    oauth: createOAuthService(config),
    limiter: createRateLimiter({ redis: deps.redis, logger }),
  };
}
