// GET …/failures on SQLite and PostgreSQL: failed and timed-out root runs grouped by workflow,
// node and error code, with count, first and last seen, the latest message and the newest runs;
// the `since` window; tenancy (another team's failures never appear, its route answers 404) and
// who may read it (viewers and runs:read keys).
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig, testDatabases } from '../support/env.ts';
import { signUp } from '../support/identity.ts';
import { addMember, insertRuns, insertWorkflow, type RunRow } from '../support/run-rows.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';

const HOUR = 3_600_000;

interface Group {
  workflowId: string;
  workflowName: string | null;
  nodeId: string | null;
  code: string | null;
  message: string | null;
  count: number;
  firstSeen: string;
  lastSeen: string;
  sampleRunIds: string[];
}

describe.each(testDatabases)('failures on %s', (_name, databaseUrl) => {
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

  it('groups failures by workflow, node and code, newest group first, with counts, times, message and sample runs', async () => {
    const owner = await signUp(t.app, smtp);
    const other = await signUp(t.app, smtp);
    const teamId = owner.personalTeamId;
    const billing = await insertWorkflow(t.orm, teamId, 'Billing');
    const digest = await insertWorkflow(t.orm, teamId, 'Digest');
    const now = Date.now();
    const ended = (hoursAgo: number) => new Date(now - hoursAgo * HOUR);
    const failed = (workflowId: string, hoursAgo: number, extra: Partial<RunRow>): RunRow => ({
      teamId, workflowId, status: 'failed', startedAt: new Date(ended(hoursAgo).getTime() - 1_000), endedAt: ended(hoursAgo), ...extra,
    });

    // Billing / http_1 / http_error: seven failures over six days; the newest message wins.
    const httpRuns = await insertRuns(t.orm, [6, 5, 4, 3, 2, 1.5, 1].map((h, i) => failed(billing, h * 24, { errorNodeId: 'http_1', errorCode: 'http_error', error: `HTTP 50${i}` })));
    // Billing / ai_1 / quota_ai_tokens: once, 30 minutes ago (the most recent group).
    const [aiRun] = await insertRuns(t.orm, [failed(billing, 0.5, { errorNodeId: 'ai_1', errorCode: 'quota_ai_tokens', error: 'AI token quota used up' })]);
    // Digest timed out twice as a whole (no node, no code): grouped under "timed_out".
    const timedOut = await insertRuns(t.orm, [
      { ...failed(digest, 10, {}), status: 'timed_out' },
      { ...failed(digest, 8, { errorCode: 'timed_out', error: 'Run timed out after 1h' }), status: 'timed_out' },
    ]);
    // Not failures, or not this view's: succeeded, cancelled, a failed map item, before the window, another team.
    await insertRuns(t.orm, [
      { teamId, workflowId: billing, status: 'succeeded', startedAt: ended(2), endedAt: ended(2) },
      { teamId, workflowId: billing, status: 'cancelled', startedAt: ended(2), endedAt: ended(2) },
      failed(billing, 1, { trigger: 'map', errorNodeId: 'http_1', errorCode: 'http_error', error: 'item failed' }),
      failed(billing, 24 * 40, { errorNodeId: 'http_1', errorCode: 'http_error', error: 'long ago' }),
      { ...failed(billing, 1, { errorNodeId: 'http_1', errorCode: 'http_error', error: 'theirs' }), teamId: other.personalTeamId },
    ]);

    const since = new Date(now - 7 * 24 * HOUR).toISOString();
    const res = await owner.client.get(`/api/v1/teams/${teamId}/failures?since=${encodeURIComponent(since)}`);
    expect(res.status).toBe(200);
    expect(res.body.since).toBe(since);
    const items = res.body.items as Group[];
    expect(items.map((g) => [g.workflowName, g.nodeId, g.code, g.count])).toEqual([
      ['Billing', 'ai_1', 'quota_ai_tokens', 1],
      ['Digest', null, 'timed_out', 2],
      ['Billing', 'http_1', 'http_error', 7],
    ]);
    expect(items[0]).toEqual({
      workflowId: billing, workflowName: 'Billing', nodeId: 'ai_1', code: 'quota_ai_tokens', message: 'AI token quota used up', count: 1,
      firstSeen: ended(0.5).toISOString(), lastSeen: ended(0.5).toISOString(), sampleRunIds: [aiRun],
    });
    const http = items[2]!;
    expect(http.firstSeen).toBe(ended(6 * 24).toISOString());
    expect(http.lastSeen).toBe(ended(24).toISOString());
    expect(http.message).toBe('HTTP 506');
    // The five newest runs, newest first.
    expect(http.sampleRunIds).toEqual(httpRuns.slice(2).reverse());
    const digestGroup = items[1]!;
    expect(digestGroup).toMatchObject({ workflowId: digest, message: 'Run timed out after 1h', firstSeen: ended(10).toISOString(), lastSeen: ended(8).toISOString() });
    expect(digestGroup.sampleRunIds).toEqual([timedOut[1], timedOut[0]]);

    // A shorter window: only what ended after `since`; counts and first seen follow it.
    const day = await owner.client.get(`/api/v1/teams/${teamId}/failures?since=${encodeURIComponent(new Date(now - 36 * HOUR).toISOString())}`);
    expect((day.body.items as Group[]).map((g) => [g.code, g.count, g.firstSeen])).toEqual([
      ['quota_ai_tokens', 1, ended(0.5).toISOString()],
      ['timed_out', 2, ended(10).toISOString()],
      ['http_error', 2, ended(36).toISOString()],
    ]);
    // One workflow, and a limit on the number of groups.
    const digestOnly = await owner.client.get(`/api/v1/teams/${teamId}/failures?since=${encodeURIComponent(since)}&workflowId=${digest}`);
    expect((digestOnly.body.items as Group[]).map((g) => g.workflowId)).toEqual([digest]);
    const limited = await owner.client.get(`/api/v1/teams/${teamId}/failures?since=${encodeURIComponent(since)}&limit=2`);
    expect((limited.body.items as Group[]).map((g) => g.code)).toEqual(['quota_ai_tokens', 'timed_out']);
    // A date alone is midnight UTC; the default window is the last 7 days.
    const byDate = await owner.client.get(`/api/v1/teams/${teamId}/failures?since=${new Date(now + 86_400_000).toISOString().slice(0, 10)}`);
    expect(byDate.body.items).toEqual([]);
    // A date before any run (even year 0, which PostgreSQL refuses) means "everything".
    const ancient = await owner.client.get(`/api/v1/teams/${teamId}/failures?since=0000-01-01`);
    expect(ancient.status).toBe(200);
    expect(ancient.body.since).toBe('1970-01-01T00:00:00.000Z');
    expect((ancient.body.items as Group[]).find((g) => g.code === 'http_error')?.count).toBe(8);
    const byDefault = await owner.client.get(`/api/v1/teams/${teamId}/failures`);
    expect((byDefault.body.items as Group[]).map((g) => g.count)).toEqual([1, 2, 7]);

    // The other team sees its one failure, never ours; our route answers it 404.
    const theirs = await other.client.get(`/api/v1/teams/${other.personalTeamId}/failures`);
    expect((theirs.body.items as Group[]).map((g) => [g.count, g.message])).toEqual([[1, 'theirs']]);
    expect((theirs.body.items as Group[])[0]!.workflowName).toBeNull();
    expect((await other.client.get(`/api/v1/teams/${teamId}/failures`)).status).toBe(404);
  });

  it('refuses a bad since or limit with a named problem', async () => {
    const owner = await signUp(t.app, smtp);
    const base = `/api/v1/teams/${owner.personalTeamId}/failures`;
    for (const query of ['since=yesterday', 'since=2026-13-45', `since=${'9'.repeat(300)}`, 'limit=0', 'limit=101', 'workflowId=']) {
      const bad = await owner.client.get(`${base}?${query}`);
      expect({ query, status: bad.status, type: bad.type, code: bad.body.code, problems: bad.body.problems?.length > 0 }).toEqual({ query, status: 400, type: 'application/problem+json', code: 'invalid_query', problems: true });
    }
  });

  it('is readable by viewers and runs:read API keys, not by keys without that scope', async () => {
    const owner = await signUp(t.app, smtp);
    const viewer = await signUp(t.app, smtp);
    const teamId = owner.personalTeamId;
    const wf = await insertWorkflow(t.orm, teamId, 'Watched');
    await insertRuns(t.orm, [{ teamId, workflowId: wf, status: 'failed', startedAt: new Date(Date.now() - 2_000), errorNodeId: 'n', errorCode: 'boom', error: 'Boom' }]);
    await addMember(t.orm, teamId, viewer.user.id, 'viewer');
    const seen = await viewer.client.get(`/api/v1/teams/${teamId}/failures`);
    expect(seen.status).toBe(200);
    expect((seen.body.items as Group[]).map((g) => g.code)).toEqual(['boom']);
    const readKey = await owner.client.post(`/api/v1/teams/${teamId}/api-keys`, { name: 'reader', scopes: ['runs:read'] });
    const wfKey = await owner.client.post(`/api/v1/teams/${teamId}/api-keys`, { name: 'wf', scopes: ['workflows:read'] });
    expect((await owner.client.withToken(readKey.body.key).get(`/api/v1/teams/${teamId}/failures`)).status).toBe(200);
    const refused = await owner.client.withToken(wfKey.body.key).get(`/api/v1/teams/${teamId}/failures`);
    expect(refused.status).toBe(403);
    expect(refused.body.items).toBeUndefined();
  });
});
