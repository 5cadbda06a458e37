// A workflow's tool settings over HTTP (core/workflows/tool.ts): saved with POST/PUT, returned by
// GET (one and the list), cleared with null, validated (name, description, a bounded object
// schema) and unique per team among workflows not deleted — on both databases, since the
// uniqueness is a partial index of m013.
import { createTestApp, type TestApp } from '../support/app.ts';
import { testConfig, testDatabases } from '../support/env.ts';
import { signUp, type SignedUp } from '../support/identity.ts';
import { startTestSmtp, type TestSmtp } from '../support/smtp.ts';

const graph = { nodes: [{ id: 'out', type: 'output', config: { value: '{{ input.text }}' } }], edges: [] };
const tool = (name: string) => ({
  name,
  description: 'Echoes a text',
  inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
});

describe.each(testDatabases)('workflow tool settings (%s)', (_name, databaseUrl) => {
  let smtp: TestSmtp;
  let t: TestApp;
  let me: SignedUp;
  let base: string;

  beforeAll(async () => {
    smtp = await startTestSmtp();
    t = await createTestApp(testConfig({ DATABASE_URL: await databaseUrl(), SMTP_URL: smtp.url }), { mail: true });
    me = await signUp(t.app, smtp);
    base = `/api/v1/teams/${me.personalTeamId}/workflows`;
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  const create = (body: object) => me.client.post(base, { name: 'Echo', graph, ...body });
  const put = (id: string, body: object) => me.client.request('put', `${base}/${id}`).send(body);

  it('round-trips through create, get, list and update, and is cleared with null', async () => {
    const created = await create({ tool: tool('echo_rt') });
    expect(created.status).toBe(201);
    expect(created.body.tool).toEqual(tool('echo_rt'));
    const id = created.body.id as string;
    expect((await me.client.get(`${base}/${id}`)).body.tool).toEqual(tool('echo_rt'));
    const listed = await me.client.get(base);
    expect(listed.body.items.find((w: { id: string }) => w.id === id).tool).toEqual(tool('echo_rt'));

    // A save without `tool` keeps it; a new graph keeps it too.
    const renamed = await put(id, { name: 'Echo 2', graph });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ version: 2, tool: tool('echo_rt') });

    const changed = await put(id, { tool: { ...tool('echo_rt2'), description: 'Echoes, better' } });
    expect(changed.body.tool).toMatchObject({ name: 'echo_rt2', description: 'Echoes, better' });
    expect(changed.body.version).toBe(2);

    const cleared = await put(id, { tool: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body.tool).toBeNull();
    expect((await me.client.get(`${base}/${id}`)).body.tool).toBeNull();
    // Its name is free again.
    expect((await create({ tool: tool('echo_rt2') })).status).toBe(201);
  });

  it('a workflow without tool settings has tool: null', async () => {
    const created = await create({});
    expect(created.status).toBe(201);
    expect(created.body.tool).toBeNull();
  });

  it('refuses invalid settings with problem+json naming each field', async () => {
    const cases: [object, string][] = [
      [{ ...tool('bad name!'), name: 'bad name!' }, 'tool.name'],
      [{ ...tool('x'.repeat(65)) }, 'tool.name'],
      [{ ...tool('long_desc'), description: 'd'.repeat(1_001) }, 'tool.description'],
      [{ ...tool('no_desc'), description: '' }, 'tool.description'],
      [{ ...tool('not_object'), inputSchema: { type: 'string' } }, 'tool.inputSchema.type'],
      [{ ...tool('bad_keyword'), inputSchema: { type: 'object', properties: { a: { type: 'string', frobnicate: true } } } }, 'tool.inputSchema.properties.a'],
      [{ ...tool('bad_pattern'), inputSchema: { type: 'object', properties: { a: { type: 'string', pattern: '(a)\\1' } } } }, 'tool.inputSchema.properties.a.pattern'],
      [{ ...tool('remote_ref'), inputSchema: { type: 'object', properties: { a: { $ref: 'https://example.com/s.json' } } } }, 'tool.inputSchema.properties.a'],
      [{ ...tool('invalid_meta'), inputSchema: { type: 'object', required: 'text' } }, 'tool.inputSchema'],
      [{ ...tool('extra'), extra: 1 }, 'tool'],
      [{ name: 'no_schema', description: 'x' }, 'tool.inputSchema'],
    ];
    for (const [settings, path] of cases) {
      const response = await create({ tool: settings });
      expect({ settings, status: response.status, type: response.headers['content-type'] }).toMatchObject({ status: 400, type: expect.stringContaining('application/problem+json') });
      expect(response.body.code).toBe('invalid_request');
      const paths = (response.body.problems as { path: string }[]).map((p) => p.path);
      expect({ settings, paths }).toEqual({ settings, paths: expect.arrayContaining([expect.stringMatching(new RegExp(`^${path.replaceAll('.', '\\.')}`))]) });
    }
    // A schema over the size bound names the limit.
    const huge = { type: 'object', properties: Object.fromEntries(Array.from({ length: 1_100 }, (_, i) => [`p${i}`, { type: 'string' }])) };
    const refused = await create({ tool: { ...tool('huge'), inputSchema: huge } });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body.problems)).toMatch(/json schema/);
  });

  it('keeps tool names unique in a team (409 tool_name_taken), also against concurrent saves', async () => {
    const first = await create({ tool: tool('unique_one') });
    expect(first.status).toBe(201);
    const again = await create({ tool: tool('unique_one') });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'tool_name_taken', problems: [{ path: 'tool.name' }] });

    const other = await create({});
    const taken = await put(other.body.id, { tool: tool('unique_one') });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('tool_name_taken');
    // Saving the owner with its own name is fine.
    expect((await put(first.body.id, { tool: tool('unique_one') })).status).toBe(200);

    // Eight saves race for one name: exactly one wins, the others get the stable code.
    const raced = await Promise.all(Array.from({ length: 8 }, () => create({ tool: tool('raced') })));
    expect(raced.filter((r) => r.status === 201)).toHaveLength(1);
    expect(raced.filter((r) => r.status === 409).map((r) => r.body.code)).toEqual(Array(7).fill('tool_name_taken'));

    // A deleted workflow frees its name; another team may use any name.
    expect((await me.client.delete(`${base}/${first.body.id}`)).status).toBe(204);
    expect((await create({ tool: tool('unique_one') })).status).toBe(201);
    const other2 = await signUp(t.app, smtp);
    expect((await other2.client.post(`/api/v1/teams/${other2.personalTeamId}/workflows`, { name: 'Echo', graph, tool: tool('unique_one') })).status).toBe(201);
  });
});
