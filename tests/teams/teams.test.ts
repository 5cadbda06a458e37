// Teams over HTTP, on SQLite and PostgreSQL: creating teams, inviting by email (the link read
// from a real SMTP server), accepting, roles and their limits (a viewer cannot write, only owners
// touch the owner role, the last owner cannot leave or be demoted), removing members.
import { Invitation } from '../../core/teams/entities.ts';
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig, testDatabases } from '../support/env.ts';
import { guardProbe } from '../support/guard-probe.ts';
import { Client, signUp, uniqueEmail, type SignedUp } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';
import request from 'supertest';

describe.each(testDatabases)('teams on %s', (_name, databaseUrl) => {
  let smtp: TestSmtp;
  let t: TestApp;
  let probe: ReturnType<typeof guardProbe>;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    const config = testConfig({ DATABASE_URL: await databaseUrl(), SMTP_URL: smtp.url });
    t = await createTestApp(config);
    probe = guardProbe({ config, orm: t.orm, redis: t.redis });
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  async function invite(owner: SignedUp, teamId: string, member: SignedUp, role: string) {
    const invited = await owner.client.post(`/api/v1/teams/${teamId}/invitations`, { email: member.email, role });
    expect(invited.status).toBe(201);
    const link = await smtp.linkFor(member.email, '/invitations/', { subject: /invited you/ });
    const token = link.pathname.split('/').pop()!;
    const accepted = await member.client.post(`/api/v1/invitations/${token}/accept`);
    expect(accepted.status).toBe(200);
    expect(accepted.body.team).toMatchObject({ id: teamId, role });
    return accepted;
  }

  /** A team with an owner, an admin, an editor and a viewer. */
  async function crew() {
    const [owner, admin, editor, viewer] = await Promise.all([signUp(t.app, smtp), signUp(t.app, smtp), signUp(t.app, smtp), signUp(t.app, smtp)]);
    const created = await owner.client.post('/api/v1/teams', { name: 'Acme' });
    expect(created.status).toBe(201);
    const teamId = created.body.id as string;
    await invite(owner, teamId, admin, 'admin');
    await invite(owner, teamId, editor, 'editor');
    await invite(owner, teamId, viewer, 'viewer');
    return { owner, admin, editor, viewer, teamId };
  }

  it('creates teams with the creator as owner, next to the personal team', async () => {
    const me = await signUp(t.app, smtp);
    const created = await me.client.post('/api/v1/teams', { name: '  Research  ' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: expect.stringMatching(/^team_/), name: 'Research', role: 'owner', plan: 'free', personal: false });
    expect(created.headers.location).toBe(`/api/v1/teams/${created.body.id}`);
    const teams = await me.client.get('/api/v1/teams');
    expect(teams.body.items.map((x: { name: string }) => x.name)).toEqual(["Test User's team", 'Research']);
    expect((await me.client.get(`/api/v1/teams/${created.body.id}`)).body).toMatchObject({ name: 'Research', role: 'owner' });
    expect((await me.client.patch(`/api/v1/teams/${created.body.id}`, { name: 'R&D' })).body.name).toBe('R&D');
    expect((await me.client.post('/api/v1/teams', { name: '' })).status).toBe(400);
  });

  it('invites by email; the invitee accepts and appears among the members with the role', async () => {
    const { owner, teamId, viewer } = await crew();
    const members = await owner.client.get(`/api/v1/teams/${teamId}/members`);
    expect(members.status).toBe(200);
    expect(members.body.items).toHaveLength(4);
    expect(members.body.items).toEqual(expect.arrayContaining([expect.objectContaining({ userId: viewer.user.id, email: viewer.email, role: 'viewer' })]));
    const viewerTeams = await viewer.client.get('/api/v1/me');
    expect(viewerTeams.body.teams).toEqual(expect.arrayContaining([expect.objectContaining({ id: teamId, name: 'Acme', role: 'viewer' })]));
    // Pages of members.
    const first = await owner.client.get(`/api/v1/teams/${teamId}/members?limit=3`);
    const second = await owner.client.get(`/api/v1/teams/${teamId}/members?limit=3&cursor=${first.body.nextCursor}`);
    expect([...first.body.items, ...second.body.items].map((m: { userId: string }) => m.userId).sort()).toEqual(members.body.items.map((m: { userId: string }) => m.userId).sort());
    expect(second.body.nextCursor).toBeNull();
  });

  it('an invitation works once, for its own verified address, before it expires', async () => {
    const owner = await signUp(t.app, smtp);
    const [invitee, stranger] = await Promise.all([signUp(t.app, smtp), signUp(t.app, smtp)]);
    const teamId = owner.personalTeamId;
    await owner.client.post(`/api/v1/teams/${teamId}/invitations`, { email: invitee.email.toUpperCase(), role: 'editor' });
    const token = (await smtp.linkFor(invitee.email, '/invitations/')).pathname.split('/').pop()!;

    const wrongPerson = await stranger.client.post(`/api/v1/invitations/${token}/accept`);
    expect(wrongPerson.status).toBe(403);
    expect(wrongPerson.body.code).toBe('invitation_email_mismatch');
    expect((await invitee.client.post(`/api/v1/invitations/${token}/accept`)).status).toBe(200);
    const again = await invitee.client.post(`/api/v1/invitations/${token}/accept`);
    expect(again.status).toBe(400);
    expect(again.body.code).toBe('invalid_token');
    expect((await new Client(t.app).post(`/api/v1/invitations/${token}/accept`)).status).toBe(401);

    // Already a member: 409.
    const dup = await owner.client.post(`/api/v1/teams/${teamId}/invitations`, { email: invitee.email, role: 'viewer' });
    expect(dup.status).toBe(409);
    expect(dup.body.code).toBe('already_member');

    // Expired.
    const later = uniqueEmail('late');
    const pending = await owner.client.post(`/api/v1/teams/${teamId}/invitations`, { email: later, role: 'viewer' });
    const lateToken = (await smtp.linkFor(later, '/invitations/')).pathname.split('/').pop()!;
    await t.orm.em.fork().nativeUpdate(Invitation, { id: pending.body.id }, { expiresAt: new Date(Date.now() - 1000) });
    const lateUser = await signUp(t.app, smtp, { email: later });
    expect((await lateUser.client.post(`/api/v1/invitations/${lateToken}/accept`)).status).toBe(400);
  });

  it('lists and withdraws pending invitations', async () => {
    const owner = await signUp(t.app, smtp);
    const email = uniqueEmail('pending');
    const invited = await owner.client.post(`/api/v1/teams/${owner.personalTeamId}/invitations`, { email, role: 'viewer' });
    const token = (await smtp.linkFor(email, '/invitations/')).pathname.split('/').pop()!;
    const list = await owner.client.get(`/api/v1/teams/${owner.personalTeamId}/invitations`);
    expect(list.body.items).toEqual([expect.objectContaining({ id: invited.body.id, email: email.toLowerCase(), role: 'viewer', invitedBy: owner.user.id })]);
    expect(JSON.stringify(list.body)).not.toContain(token);
    expect((await owner.client.delete(`/api/v1/teams/${owner.personalTeamId}/invitations/${invited.body.id}`)).status).toBe(204);
    expect((await owner.client.get(`/api/v1/teams/${owner.personalTeamId}/invitations`)).body.items).toEqual([]);
    const invitee = await signUp(t.app, smtp, { email });
    expect((await invitee.client.post(`/api/v1/invitations/${token}/accept`)).status).toBe(400);
  });

  it('a viewer can read but cannot write', async () => {
    const { viewer, teamId } = await crew();
    expect((await viewer.client.get(`/api/v1/teams/${teamId}`)).status).toBe(200);
    expect((await viewer.client.get(`/api/v1/teams/${teamId}/members`)).status).toBe(200);
    expect((await viewer.client.get(`/api/v1/teams/${teamId}/usage`)).status).toBe(200);
    const writes = [
      viewer.client.patch(`/api/v1/teams/${teamId}`, { name: 'Mine now' }),
      viewer.client.post(`/api/v1/teams/${teamId}/invitations`, { email: uniqueEmail(), role: 'viewer' }),
      viewer.client.post(`/api/v1/teams/${teamId}/api-keys`, { name: 'k', scopes: ['runs:read'] }),
      viewer.client.get(`/api/v1/teams/${teamId}/api-keys`),
      // the workflow routes of the api use the same guard
      viewer.client.post(`/api/v1/teams/${teamId}/workflows`, { name: 'x', graph: { nodes: [], edges: [] } }),
    ];
    for (const res of await Promise.all(writes)) {
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('forbidden');
    }
    // The same guard on workflow and run routes.
    const auth = { Authorization: `Bearer ${viewer.token}` };
    expect((await request(probe).get(`/api/v1/teams/${teamId}/workflows`).set(auth)).status).toBe(200);
    expect((await request(probe).get(`/api/v1/teams/${teamId}/runs`).set(auth)).status).toBe(200);
    expect((await request(probe).post(`/api/v1/teams/${teamId}/workflows`).set(auth)).status).toBe(403);
    expect((await request(probe).post(`/api/v1/teams/${teamId}/workflows/wf_1/runs`).set(auth)).status).toBe(403);
    expect((await request(probe).post(`/api/v1/teams/${teamId}/runs/run_1/approvals/review`).set(auth)).status).toBe(403);
  });

  it('an editor writes workflows and runs but does not manage the team', async () => {
    const { editor, teamId } = await crew();
    const auth = { Authorization: `Bearer ${editor.token}` };
    expect((await request(probe).post(`/api/v1/teams/${teamId}/workflows`).set(auth)).status).toBe(201);
    expect((await request(probe).post(`/api/v1/teams/${teamId}/runs/run_1/approvals/review`).set(auth)).status).toBe(201);
    expect((await editor.client.post(`/api/v1/teams/${teamId}/invitations`, { email: uniqueEmail(), role: 'viewer' })).status).toBe(403);
  });

  it('only owners touch the owner role; the last owner can be neither demoted nor leave', async () => {
    const { owner, admin, editor, viewer, teamId } = await crew();
    // An admin manages the roles below owner …
    const promoted = await admin.client.patch(`/api/v1/teams/${teamId}/members/${viewer.user.id}`, { role: 'editor' });
    expect(promoted.status).toBe(200);
    expect(promoted.body).toMatchObject({ userId: viewer.user.id, role: 'editor' });
    // … but cannot make owners, demote owners or invite owners.
    const toOwner = await admin.client.patch(`/api/v1/teams/${teamId}/members/${editor.user.id}`, { role: 'owner' });
    expect(toOwner.status).toBe(403);
    expect(toOwner.body.code).toBe('forbidden_role');
    expect((await admin.client.patch(`/api/v1/teams/${teamId}/members/${owner.user.id}`, { role: 'viewer' })).status).toBe(403);
    expect((await admin.client.post(`/api/v1/teams/${teamId}/invitations`, { email: uniqueEmail(), role: 'owner' })).status).toBe(403);
    expect((await admin.client.delete(`/api/v1/teams/${teamId}/members/${owner.user.id}`)).status).toBe(403);
    // An editor changes no roles.
    expect((await editor.client.patch(`/api/v1/teams/${teamId}/members/${viewer.user.id}`, { role: 'viewer' })).status).toBe(403);

    // The only owner can neither step down nor leave.
    const demote = await owner.client.patch(`/api/v1/teams/${teamId}/members/${owner.user.id}`, { role: 'admin' });
    expect(demote.status).toBe(409);
    expect(demote.body.code).toBe('last_owner');
    const leave = await owner.client.delete(`/api/v1/teams/${teamId}/members/${owner.user.id}`);
    expect(leave.status).toBe(409);
    expect(leave.body.code).toBe('last_owner');

    // With a second owner, the first may leave; then the second is the last.
    expect((await owner.client.patch(`/api/v1/teams/${teamId}/members/${admin.user.id}`, { role: 'owner' })).status).toBe(200);
    expect((await owner.client.delete(`/api/v1/teams/${teamId}/members/${owner.user.id}`)).status).toBe(204);
    expect((await owner.client.get(`/api/v1/teams/${teamId}`)).status).toBe(404);
    expect((await admin.client.patch(`/api/v1/teams/${teamId}/members/${admin.user.id}`, { role: 'editor' })).status).toBe(409);
    expect((await admin.client.get(`/api/v1/teams/${teamId}/members/${'usr_nobody'}`)).status).toBe(404);
    expect((await admin.client.patch(`/api/v1/teams/${teamId}/members/usr_nobody`, { role: 'viewer' })).status).toBe(404);
  });

  it('two owners demoting each other at the same time leave one owner', async () => {
    const { owner, admin, teamId } = await crew();
    await owner.client.patch(`/api/v1/teams/${teamId}/members/${admin.user.id}`, { role: 'owner' });
    const results = await Promise.all([
      owner.client.patch(`/api/v1/teams/${teamId}/members/${admin.user.id}`, { role: 'viewer' }),
      admin.client.patch(`/api/v1/teams/${teamId}/members/${owner.user.id}`, { role: 'viewer' }),
    ]);
    const members = await owner.client.get(`/api/v1/teams/${teamId}/members`);
    const owners = members.status === 200 ? members.body.items : (await admin.client.get(`/api/v1/teams/${teamId}/members`)).body.items;
    expect(owners.filter((m: { role: string }) => m.role === 'owner')).toHaveLength(1);
    // One wins. The other is refused either as the last owner (both demotions raced inside the
    // service) or, when the winner had committed before its request was authorized, as the
    // viewer it had become by then.
    const [won, lost] = [...results].sort((a, b) => a.status - b.status);
    expect(won!.status).toBe(200);
    expect([[409, 'last_owner'], [403, 'forbidden']]).toContainEqual([lost!.status, lost!.body.code]);
  });

  it('admins remove members; anyone may leave; removed members lose access at once', async () => {
    const { admin, editor, viewer, teamId } = await crew();
    expect((await editor.client.delete(`/api/v1/teams/${teamId}/members/${viewer.user.id}`)).status).toBe(403);
    expect((await admin.client.delete(`/api/v1/teams/${teamId}/members/${editor.user.id}`)).status).toBe(204);
    expect((await editor.client.get(`/api/v1/teams/${teamId}`)).status).toBe(404);
    expect((await viewer.client.delete(`/api/v1/teams/${teamId}/members/${viewer.user.id}`)).status).toBe(204);
    expect((await viewer.client.get(`/api/v1/teams/${teamId}/members`)).status).toBe(404);
  });
});
