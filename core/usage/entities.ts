import { defineEntity, p, type InferEntity } from '@mikro-orm/core';
import { Team } from '../teams/entities.ts';

/** What a team used in one calendar month (UTC), the counters the plan quotas are checked against. */
export const UsageCounter = defineEntity({
  name: 'UsageCounter',
  tableName: 'usage_counter',
  uniques: [{ properties: ['team', 'period'] }],
  properties: {
    id: p.string().primary(),
    team: p.manyToOne(Team).mapToPk().deleteRule('cascade'),
    /** `YYYY-MM` */
    period: p.string().length(7),
    runs: p.integer().default(0),
    nodeExecutions: p.bigint('number').default(0),
    aiTokens: p.bigint('number').default(0),
    /** Cost in millionths of a US dollar (integers: no rounding drift when summing). */
    costMicroUsd: p.bigint('number').default(0),
  },
});
export type UsageCounter = InferEntity<typeof UsageCounter>;
