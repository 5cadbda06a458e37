// Usage counters and plan quotas, on SQLite and PostgreSQL: atomic increments, the usage report
// over HTTP, and each quota answering with its own code (403 or 429) from core/plans.ts.
import { RunRecord } from '../../core/runs/entities.ts';
import { type UserError } from '../../core/errors.ts';
import { PLANS } from '../../core/plans.ts';
import { Team } from '../../core/teams/entities.ts';
import { createAdmission } from '../../core/usage/admission.ts';
import { assertWithinQuota, createUsageService, periodBounds, QuotaExceededError } from '../../core/usage/service.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig, testDatabases } from '../support/env.ts';
import { signUp } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';

describe.each(testDatabases)('usage and quotas on %s', (_name, databaseUrl) => {
  let smtp: TestSmtp;
  let t: TestApp;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    t = await createTestApp(testConfig({ DATABASE_URL: await databaseUrl(), SMTP_URL: smtp.url }));
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('counts atomically under concurrent writers and reports the month with the plan limits', async () => {
    const { client, personalTeamId } = await signUp(t.app, smtp);
    const usage = createUsageService({ orm: t.orm });
    await Promise.all(Array.from({ length: 20 }, () => usage.record(personalTeamId, { runs: 1, nodeExecutions: 3, aiTokens: 150, costUsd: 0.000_25 })));
    // Last month's usage does not count this month.
    await usage.record(personalTeamId, { runs: 7 }, new Date(Date.UTC(2020, 0, 15)));

    const res = await client.get(`/api/v1/teams/${personalTeamId}/usage`);
    expect(res.status).toBe(200);
    const { start, end } = periodBounds(new Date());
    expect(res.body).toEqual({
      teamId: personalTeamId,
      plan: 'free',
      period: { start: start.toISOString(), end: end.toISOString() },
      usage: { runs: 20, nodeExecutions: 60, aiTokens: 3000, costUsd: 0.005, concurrentRuns: 0, workflows: 0 },
      limits: PLANS.free,
      aiCache: { hits: 0, misses: 0, hitRatio: null },
    });
  });

  it('refuses a run over the monthly quota with 429 quota_runs_per_month and Retry-After until next month', async () => {
    const { personalTeamId } = await signUp(t.app, smtp);
    const usage = createUsageService({ orm: t.orm });
    const admission = createAdmission({ orm: t.orm, redis: t.redis });
    await usage.record(personalTeamId, { runs: PLANS.free.runsPerMonth! - 1 });
    await expect(admission.admitRun(personalTeamId, { trigger: 'api' })).resolves.toBeUndefined();
    await usage.record(personalTeamId, { runs: 1 });
    const error = await admission.admitRun(personalTeamId, { trigger: 'api' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QuotaExceededError);
    expect(error).toMatchObject({ status: 429, code: 'quota_runs_per_month', quota: 'runsPerMonth', limit: 1000 });
    const retryAfter = Number((error as UserError).headers?.['Retry-After']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(31 * 24 * 3600);

    // Upgrading lifts it.
    await t.orm.em.fork().nativeUpdate(Team, { id: personalTeamId }, { plan: 'pro' });
    await expect(admission.admitRun(personalTeamId, { trigger: 'api' })).resolves.toBeUndefined();
  });

  it('never refuses a root run for concurrency (it queues), and counts root runs in flight', async () => {
    const { personalTeamId } = await signUp(t.app, smtp);
    const usage = createUsageService({ orm: t.orm });
    const admission = createAdmission({ orm: t.orm, redis: t.redis });
    const em = t.orm.em.fork();
    for (let i = 0; i < PLANS.free.concurrentRuns!; i++) {
      em.create(RunRecord, { id: `run_${personalTeamId}_${i}`, teamId: personalTeamId, workflowId: 'wf', version: 1, trigger: 'api', status: i ? 'waiting' : 'running', startedAt: new Date() });
    }
    em.create(RunRecord, { id: `run_${personalTeamId}_done`, teamId: personalTeamId, workflowId: 'wf', version: 1, trigger: 'api', status: 'succeeded', startedAt: new Date() });
    // Child runs take no slot (their root holds one): they are not counted.
    em.create(RunRecord, { id: `run_${personalTeamId}_0.each.0`, teamId: personalTeamId, workflowId: 'wf', version: 1, trigger: 'map', status: 'running', startedAt: new Date() });
    await em.flush();
    // Queued instead (core/runs/dispatcher.ts starts it when a slot frees; ADR 028).
    await expect(admission.admitRun(personalTeamId, { trigger: 'api' })).resolves.toBeUndefined();
    expect((await usage.report(personalTeamId)).usage.concurrentRuns).toBe(PLANS.free.concurrentRuns);
  });

  it('answers 403 for quotas that waiting does not lift: workflows per team, nodes per graph', async () => {
    const { personalTeamId } = await signUp(t.app, smtp);
    const usage = createUsageService({ orm: t.orm });
    await expect(usage.checkWorkflowCount(personalTeamId, PLANS.free.workflows! - 1)).resolves.toBeUndefined();
    await expect(usage.checkWorkflowCount(personalTeamId, PLANS.free.workflows!)).rejects.toMatchObject({ status: 403, code: 'quota_workflows' });
    await expect(usage.checkGraphSize(personalTeamId, PLANS.free.nodesPerGraph!)).resolves.toBeUndefined();
    await expect(usage.checkGraphSize(personalTeamId, PLANS.free.nodesPerGraph! + 1)).rejects.toMatchObject({ status: 403, code: 'quota_nodes_per_graph' });
    await usage.record(personalTeamId, { aiTokens: PLANS.free.aiTokensPerMonth! });
    await expect(usage.checkAiTokens(personalTeamId)).rejects.toMatchObject({ status: 429, code: 'quota_ai_tokens_per_month' });
  });
});

describe('assertWithinQuota', () => {
  it('treats null as unlimited', () => {
    expect(() => assertWithinQuota('enterprise', 'runsPerMonth', 10 ** 9)).not.toThrow();
    expect(() => assertWithinQuota('free', 'runsPerMonth', 999)).not.toThrow();
    expect(() => assertWithinQuota('free', 'runsPerMonth', 1000)).toThrow(QuotaExceededError);
    // A plan name this version does not know falls back to free.
    expect(() => assertWithinQuota('legacy-gold', 'workflows', 10)).toThrow(/10 workflows per team/);
  });
});
