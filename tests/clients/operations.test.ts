// @lane unit
// The client's operation table (clients/typescript/operations.ts) is generated from the
// contract's route table: same operations, methods and paths, so call(operationId) reaches the
// route the contract describes, typed by the schemas the route names; and call() fills path
// parameters, query and body and sends the method.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ROUTES, type RouteSpec } from '../../contract/routes.ts';
import { OPERATIONS_FILE, renderOperations } from '../../clients/typescript/generate.ts';
import { OPERATIONS, pathOf, TrellisClient, TrellisProblem, type OperationId } from '../../clients/typescript/index.ts';

describe('client operations', () => {
  it('is what clients/typescript/generate.ts writes from the route table (run `npm run generate:client` after changing a route)', () => {
    expect(readFileSync(OPERATIONS_FILE, 'utf8')).toBe(renderOperations());
  });

  it('lists every operation of the route table with its method and path, and nothing else', () => {
    const fromContract = Object.fromEntries(ROUTES.map((route) => [route.operationId, { method: route.method.toUpperCase(), path: route.path }]));
    expect(OPERATIONS).toEqual(fromContract);
  });

  it('types each operation by the names of its schemas: an optional body, several 2xx answers, open JSON', () => {
    const text = renderOperations();
    expect(text).toContain("  getRun: { answer: z.infer<typeof runs.Run> };");
    expect(text).toContain("  startRun: { body: z.input<typeof runs.StartRunRequest> | undefined; answer: z.infer<typeof runs.RunStarted> };");
    expect(text).toContain("answer: z.infer<typeof runs.HookOutput> | z.infer<typeof runs.HookAnswer> };");
    expect(text).toContain("  getOpenApiDocument: { answer: unknown };");
    expect(text).toContain("  deleteWorkflow: { answer: void };");
    expect(text).toContain("  mcp: { body: z.input<typeof pf.McpMessage>; answer: z.infer<typeof pf.McpMessage> | void };"); // 200 JSON-RPC, 202 no body
    expect(text).toContain("  listRuns: { query: QueryOf<typeof runs.ListRunsQuery>;");
  });

  it('refuses a route whose schema no contract module exports, naming the route', () => {
    const route: RouteSpec = { ...ROUTES.find((r) => r.operationId === 'listRuns')!, query: z.object({ page: z.string() }) };
    expect(() => renderOperations([route])).toThrow('listRuns: its query schema is not exported by a contract module (name it there)');
  });

  it('fills and encodes path parameters, and names a missing one', () => {
    expect(pathOf('getRun', { teamId: 't 1', runId: 'run/2' })).toBe('/api/v1/teams/t%201/runs/run%2F2');
    expect(() => pathOf('getRun', { teamId: 't1' })).toThrow('getRun: path parameter runId is missing');
  });

  it('sends the method, path, query and body of an operation, and answers its JSON', async () => {
    const seen: { method: string; url: string; body: unknown }[] = [];
    const client = new TrellisClient({
      baseUrl: 'http://api.test/',
      fetch: async (url, init) => {
        seen.push({ method: init!.method!, url: String(url), body: init!.body ? JSON.parse(String(init!.body)) : undefined });
        return Response.json({ items: [], nextCursor: null });
      },
    });
    const page = await client.team('team_1').call('listMembers', { query: { limit: 100 } });
    expect(page.items).toEqual([]);
    await client.call('changeMemberRole', { params: { teamId: 'team_1', userId: 'u_2' }, body: { role: 'viewer' } });
    expect(seen).toEqual([
      { method: 'GET', url: 'http://api.test/api/v1/teams/team_1/members?limit=100', body: undefined },
      { method: 'PATCH', url: 'http://api.test/api/v1/teams/team_1/members/u_2', body: { role: 'viewer' } },
    ]);
  });

  it('throws a problem answer as a TrellisProblem with its code', async () => {
    const client = new TrellisClient({
      baseUrl: 'http://api.test',
      fetch: async () => Response.json({ status: 403, code: 'quota_schedules', title: 'Forbidden' }, { status: 403 }),
    });
    const operation: OperationId = 'createSchedule';
    await expect(client.call(operation, { params: { teamId: 't', id: 'wf' }, body: { cron: '* * * * *' } })).rejects.toMatchObject({ code: 'quota_schedules', status: 403 });
    await expect(client.call('getMe')).rejects.toBeInstanceOf(TrellisProblem);
  });

  it('types requests and answers from the contract (checked by tsc)', () => {
    const client = new TrellisClient({ baseUrl: 'http://api.test' });
    const team = client.team('t');
    const checks = [
      // @ts-expect-error: runId is a path parameter of getRun
      () => team.call('getRun', {}),
      // @ts-expect-error: invite takes a body
      () => team.call('invite'),
      // @ts-expect-error: a role the contract does not have
      () => team.call('invite', { body: { email: 'a@b.c', role: 'emperor' } }),
      async () => {
        const run = await team.call('getRun', { params: { runId: 'r' } });
        // @ts-expect-error: a run status is the contract's enum
        const status: 'nope' = run.status;
        return status;
      },
      () => team.call('startRun', { params: { id: 'wf' } }),
      () => client.call('getMe'),
      () => team.call('listMembers', { query: { limit: 10 } }),
      // @ts-expect-error: a query's limit is a number
      () => team.call('listMembers', { query: { limit: { ten: 10 } } }),
      () => client.call('mcp', { body: [{ jsonrpc: '2.0', method: 'tools/list', id: 1 }] }), // a batch
    ];
    expect(checks).toHaveLength(9);
  });
});
