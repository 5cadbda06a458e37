// The entity of schedules (the Temporal Schedule of the same id does the firing).
import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** A cron schedule of a workflow; the Temporal Schedule of the same id does the firing. */
export const ScheduleRecord = defineEntity({
  name: 'ScheduleRecord',
  tableName: 'schedule',
  properties: {
    id: p.string().primary(),
    teamId: p.string().index(),
    workflowId: p.string().index(),
    cron: p.string(),
    timezone: p.string(),
    input: p.text().nullable(),
    createdAt: p.datetime(),
    createdBy: p.string().nullable(),
    /** 1–5: the priority of the runs it starts. */
    priority: p.integer().default(3),
    /** A pinned workflow version; null: the latest when it fires. */
    version: p.integer().nullable(),
  },
});
export type ScheduleRecord = InferEntity<typeof ScheduleRecord>;
