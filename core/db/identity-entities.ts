// The entities of accounts and tenancy (core/auth, core/teams, core/keys, core/usage), gathered
// for the ORM's entity list in entities.ts.
import { EmailToken, LoginEvent, OAuthAccount, Session, User } from '../auth/entities.ts';
import { ApiKey } from '../keys/entities.ts';
import { Invitation, Membership, Team } from '../teams/entities.ts';
import { UsageCounter } from '../usage/entities.ts';

export const identityEntities = [User, Session, OAuthAccount, EmailToken, LoginEvent, Team, Membership, Invitation, ApiKey, UsageCounter];
