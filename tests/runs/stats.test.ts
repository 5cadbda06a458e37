// Run statistics and list aggregates computed in SQL, on SQLite and PostgreSQL: runs per UTC day
// and status with the success rate (GET …/stats), the workflow's name on run summaries, each
// workflow's last run, and case-insensitive search (q=) in the workflow and run lists.
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig, testDatabases } from '../support/env.ts';
import { signUp } from '../support/identity.ts';
import { addMember, insertRuns, insertWorkflow } from '../support/run-rows.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';

const DAY = 86_400_000;
const todayStart = () => {
  const now = new Date();
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
};

describe.each(testDatabases)('run aggregates on %s', (_name, databaseUrl) => {
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

  it('counts runs per UTC day and status over the window, with the success rate, for this team only', async () => {
    const owner = await signUp(t.app, smtp);
    const other = await signUp(t.app, smtp);
    const teamId = owner.personalTeamId;
    const wf = await insertWorkflow(t.orm, teamId, 'Invoices');
    const today = todayStart();
    const at = (offset: number) => new Date(today + offset);
    await insertRuns(t.orm, [
      // Today: 2 succeeded, 1 failed, 1 timed out, 1 cancelled, 1 running.
      { teamId, workflowId: wf, status: 'succeeded', startedAt: at(1_000) },
      { teamId, workflowId: wf, status: 'succeeded', startedAt: at(2_000) },
      { teamId, workflowId: wf, status: 'failed', startedAt: at(3_000), error: 'boom' },
      { teamId, workflowId: wf, status: 'timed_out', startedAt: at(4_000) },
      { teamId, workflowId: wf, status: 'cancelled', startedAt: at(5_000) },
      { teamId, workflowId: wf, status: 'running', startedAt: at(6_000) },
      // Yesterday, one second before midnight: belongs to yesterday.
      { teamId, workflowId: wf, status: 'succeeded', startedAt: at(-1_000) },
      // Three days ago.
      { teamId, workflowId: wf, status: 'failed', startedAt: at(-3 * DAY + 3_600_000) },
      // Before the 7-day window: not counted.
      { teamId, workflowId: wf, status: 'failed', startedAt: at(-7 * DAY - 1_000) },
      // A map item inside a run: part of its root run, never counted alone.
      { teamId, workflowId: wf, status: 'failed', startedAt: at(7_000), trigger: 'map' },
      // Another team's run today.
      { teamId: other.personalTeamId, workflowId: wf, status: 'failed', startedAt: at(8_000) },
    ]);

    const res = await owner.client.get(`/api/v1/teams/${teamId}/stats?days=7`);
    expect(res.status).toBe(200);
    const perDay = res.body.perDay as { day: string; total: number; succeeded: number; failed: number; timed_out: number; cancelled: number; running: number }[];
    expect(perDay).toHaveLength(7);
    const dayName = (offset: number) => new Date(today + offset * DAY).toISOString().slice(0, 10);
    expect(perDay.map((d) => d.day)).toEqual([-6, -5, -4, -3, -2, -1, 0].map(dayName));
    expect(res.body.from).toBe(new Date(today - 6 * DAY).toISOString());
    expect(perDay[6]).toMatchObject({ day: dayName(0), total: 6, succeeded: 2, failed: 1, timed_out: 1, cancelled: 1, running: 1 });
    expect(perDay[5]).toMatchObject({ day: dayName(-1), total: 1, succeeded: 1, failed: 0 });
    expect(perDay[3]).toMatchObject({ day: dayName(-3), total: 1, failed: 1 });
    expect(perDay.reduce((sum, d) => sum + d.total, 0)).toBe(8);
    // Finished: 3 succeeded + 2 failed + 1 timed out (cancelled and running left out).
    expect(res.body.totals).toMatchObject({ runs: 8, succeeded: 3, failed: 2, timed_out: 1, cancelled: 1, running: 1, finished: 6 });
    expect(res.body.totals.successRate).toBeCloseTo(0.5, 10);

    // One workflow only, and a one-day window.
    const wf2 = await insertWorkflow(t.orm, teamId, 'Other');
    await insertRuns(t.orm, [{ teamId, workflowId: wf2, status: 'succeeded', startedAt: at(9_000) }]);
    const one = await owner.client.get(`/api/v1/teams/${teamId}/stats?days=1&workflowId=${wf2}`);
    expect(one.body.perDay).toEqual([expect.objectContaining({ day: dayName(0), total: 1, succeeded: 1 })]);
    expect(one.body.totals.successRate).toBe(1);

    // The other team sees only its own run.
    const theirs = await other.client.get(`/api/v1/teams/${other.personalTeamId}/stats?days=7`);
    expect(theirs.body.totals).toMatchObject({ runs: 1, failed: 1, successRate: 0 });
    // And cannot read ours (404: never reveal that it exists).
    expect((await other.client.get(`/api/v1/teams/${teamId}/stats`)).status).toBe(404);
  });

  it('answers an empty window with zeros and a null success rate, and refuses out-of-range days', async () => {
    const owner = await signUp(t.app, smtp);
    const base = `/api/v1/teams/${owner.personalTeamId}/stats`;
    const empty = await owner.client.get(base);
    expect(empty.status).toBe(200);
    expect(empty.body.perDay).toHaveLength(30);
    expect(empty.body.totals).toMatchObject({ runs: 0, finished: 0, successRate: null });
    for (const days of ['0', '367', '1.5', 'abc', '-3']) {
      const bad = await owner.client.get(`${base}?days=${days}`);
      expect({ days, status: bad.status, type: bad.type, code: bad.body.code }).toEqual({ days, status: 400, type: 'application/problem+json', code: 'invalid_query' });
    }
  });

  it('lets viewers and runs:read API keys read the statistics, not keys without that scope', async () => {
    const owner = await signUp(t.app, smtp);
    const viewer = await signUp(t.app, smtp);
    const teamId = owner.personalTeamId;
    await addMember(t.orm, teamId, viewer.user.id, 'viewer');
    expect((await viewer.client.get(`/api/v1/teams/${teamId}/stats`)).status).toBe(200);
    const readKey = await owner.client.post(`/api/v1/teams/${teamId}/api-keys`, { name: 'reader', scopes: ['runs:read'] });
    const wfKey = await owner.client.post(`/api/v1/teams/${teamId}/api-keys`, { name: 'wf', scopes: ['workflows:read'] });
    expect((await owner.client.withToken(readKey.body.key).get(`/api/v1/teams/${teamId}/stats`)).status).toBe(200);
    expect((await owner.client.withToken(wfKey.body.key).get(`/api/v1/teams/${teamId}/stats`)).status).toBe(403);
  });

  it('names the workflow on run summaries and finds runs by workflow name, error or id, case-insensitively', async () => {
    const owner = await signUp(t.app, smtp);
    const teamId = owner.personalTeamId;
    const invoices = await insertWorkflow(t.orm, teamId, 'Invoice Sync');
    const mail = await insertWorkflow(t.orm, teamId, 'Mail digest');
    const now = Date.now();
    const [runA, runB, runC] = await insertRuns(t.orm, [
      { teamId, workflowId: invoices, status: 'succeeded', startedAt: new Date(now - 3_000) },
      { teamId, workflowId: mail, status: 'failed', startedAt: new Date(now - 2_000), error: 'SMTP refused: Quota 100% used' },
      { teamId, workflowId: mail, status: 'succeeded', startedAt: new Date(now - 1_000), id: 'run_Special_Case_1' },
    ]);
    const list = async (query: string) => {
      const res = await owner.client.get(`/api/v1/teams/${teamId}/runs?${query}`);
      expect(res.status).toBe(200);
      return res.body.items as { runId: string; workflowName: string | null }[];
    };
    const all = await list('limit=10');
    expect(all.map((r) => [r.runId, r.workflowName])).toEqual([
      [runC, 'Mail digest'],
      [runB, 'Mail digest'],
      [runA, 'Invoice Sync'],
    ]);
    expect((await list('q=INVOICE')).map((r) => r.runId)).toEqual([runA]);
    expect((await list('q=smtp%20REFUSED')).map((r) => r.runId)).toEqual([runB]);
    expect((await list('q=special_case')).map((r) => r.runId)).toEqual([runC]);
    // LIKE wildcards in q are plain text: "100%" finds the error that says so; "run%special" as a
    // pattern would match runC's id, as text it matches nothing.
    expect((await list(`q=${encodeURIComponent('100%')}`)).map((r) => r.runId)).toEqual([runB]);
    expect(await list(`q=${encodeURIComponent('run%special')}`)).toEqual([]);
    expect(await list('q=nothing-matches-this')).toEqual([]);
    // Search combines with filters and with paging.
    expect((await list('q=mail&status=failed')).map((r) => r.runId)).toEqual([runB]);
    const first = await owner.client.get(`/api/v1/teams/${teamId}/runs?q=mail&limit=1`);
    expect(first.body.items.map((r: { runId: string }) => r.runId)).toEqual([runC]);
    const second = await owner.client.get(`/api/v1/teams/${teamId}/runs?q=mail&limit=1&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((r: { runId: string }) => r.runId)).toEqual([runB]);
    expect((await owner.client.get(`/api/v1/teams/${teamId}/runs?q=${'x'.repeat(201)}`)).status).toBe(400);
  });

  it('lists workflows with their last run and searches names and descriptions case-insensitively', async () => {
    const owner = await signUp(t.app, smtp);
    const other = await signUp(t.app, smtp);
    const teamId = owner.personalTeamId;
    const billing = await insertWorkflow(t.orm, teamId, 'Billing', 'Sends INVOICES every night');
    const idle = await insertWorkflow(t.orm, teamId, 'Idle one');
    const now = Date.now();
    const [, newest] = await insertRuns(t.orm, [
      { teamId, workflowId: billing, status: 'failed', startedAt: new Date(now - 5_000) },
      { teamId, workflowId: billing, status: 'succeeded', startedAt: new Date(now - 4_000) },
      // Newer, but a map item: not the workflow's last run.
      { teamId, workflowId: billing, status: 'failed', startedAt: new Date(now - 1_000), trigger: 'map' },
    ]);
    const res = await owner.client.get(`/api/v1/teams/${teamId}/workflows`);
    expect(res.status).toBe(200);
    const byId = Object.fromEntries((res.body.items as { id: string; lastRun: unknown }[]).map((w) => [w.id, w.lastRun]));
    expect(byId[billing]).toEqual({ runId: newest, status: 'succeeded', startedAt: new Date(now - 4_000).toISOString(), endedAt: new Date(now - 3_000).toISOString() });
    expect(byId[idle]).toBeNull();

    const search = async (q: string) => ((await owner.client.get(`/api/v1/teams/${teamId}/workflows?q=${encodeURIComponent(q)}`)).body.items as { id: string }[]).map((w) => w.id);
    expect(await search('invoices')).toEqual([billing]);
    expect(await search('BILL')).toEqual([billing]);
    expect(await search('one')).toEqual([idle]);
    expect(await search('%')).toEqual([]);
    // The older parameter name still works.
    expect((await owner.client.get(`/api/v1/teams/${teamId}/workflows?search=idle`)).body.items.map((w: { id: string }) => w.id)).toEqual([idle]);
    // Another team's search never finds these.
    expect((await other.client.get(`/api/v1/teams/${other.personalTeamId}/workflows?q=billing`)).body.items).toEqual([]);
  });
});
