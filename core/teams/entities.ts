// Teams (the unit of tenancy and of billing), their members and pending invitations.
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { User } from '../auth/entities.ts';

export const Team = defineEntity({
  name: 'Team',
  tableName: 'team',
  properties: {
    id: p.string().primary(),
    name: p.string(),
    /** The team every user gets at registration. */
    personal: p.boolean(),
    /** A key of PLANS in core/plans.ts. */
    plan: p.string().length(32),
    createdAt: p.datetime(),
  },
});
export type Team = InferEntity<typeof Team>;

export const Membership = defineEntity({
  name: 'Membership',
  tableName: 'membership',
  uniques: [{ properties: ['team', 'user'] }],
  properties: {
    id: p.string().primary(),
    team: p.manyToOne(Team).mapToPk().deleteRule('cascade'),
    user: p.manyToOne(User).mapToPk().deleteRule('cascade').index(),
    role: p.string().length(16),
    createdAt: p.datetime(),
  },
});
export type Membership = InferEntity<typeof Membership>;

export const Invitation = defineEntity({
  name: 'Invitation',
  tableName: 'invitation',
  properties: {
    id: p.string().primary(),
    team: p.manyToOne(Team).mapToPk().deleteRule('cascade').index(),
    email: p.string(),
    role: p.string().length(16),
    tokenHash: p.string().length(64).unique(),
    invitedBy: p.manyToOne(User).mapToPk().deleteRule('set null').nullable(),
    expiresAt: p.datetime(),
    acceptedAt: p.datetime().nullable(),
    createdAt: p.datetime(),
  },
});
export type Invitation = InferEntity<typeof Invitation>;
