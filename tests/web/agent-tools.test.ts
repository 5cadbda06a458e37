// @lane unit
// The designer's agent tool picker and a workflow's "Use as a tool" settings, as pure logic: tool
// names made from workflow names and kept unique, a chosen workflow filling the tool, MCP allow
// lists, JSON boxes, validation problems placed on their tool, and the settings' draft → `tool`.
import { TOOL_NAME as SETTINGS_TOOL_NAME } from '../../core/workflows/tool.ts';
import {
  credentialsFor,
  newTool,
  parseJsonObject,
  pickWorkflow,
  problemsByTool,
  toggleAllowed,
  toolNameFrom,
  TOOL_NAME,
  toolTitle,
  uniqueName,
  usedNames,
  workflowOptionLabel,
  type ToolWorkflowOption,
} from '../../web/app/lib/agent-tools.ts';
import { draftFrom, toolFromDraft, toolProblems } from '../../web/app/lib/workflow-tool.ts';

const lookup: ToolWorkflowOption = {
  id: 'wf_lookup',
  name: 'Look up order',
  description: 'Finds an order',
  tool: { name: 'lookup_order', description: 'Order status by id', inputSchema: { type: 'object', properties: { orderId: { type: 'string' } } } },
};
const plain: ToolWorkflowOption = { id: 'wf_plain', name: 'Crème brûlée — notify #2', description: null, tool: null };

describe('agent tool picker', () => {
  it('checks names with the same rule as the API', () => {
    expect(TOOL_NAME.source).toBe(SETTINGS_TOOL_NAME.source);
  });

  it('makes names a model accepts from any workflow name', () => {
    expect(toolNameFrom('Look up order #12')).toBe('look_up_order_12');
    expect(toolNameFrom('Crème brûlée — notify #2')).toBe('creme_brulee_notify_2');
    expect(toolNameFrom('!!!')).toBe('tool');
    expect(toolNameFrom('x'.repeat(100))).toHaveLength(64);
    for (const name of ['Look up order #12', 'Crème brûlée', '日本語', 'a'.repeat(80)]) expect(TOOL_NAME.test(toolNameFrom(name))).toBe(true);
  });

  it('keeps names unique across tools, counting every allowed tool of an MCP server', () => {
    const tools = [
      { type: 'workflow' as const, workflowId: 'wf_lookup', name: 'lookup_order' },
      { type: 'mcp' as const, url: 'https://mcp.test/mcp', allow: ['search', 'fetch'] },
      { type: 'http' as const, name: 'weather' },
    ];
    expect([...usedNames(tools)].sort()).toEqual(['fetch', 'lookup_order', 'search', 'weather']);
    expect(usedNames(tools, 0).has('lookup_order')).toBe(false);
    expect(uniqueName('search', usedNames(tools))).toBe('search_2');
    expect(uniqueName('x'.repeat(64), new Set(['x'.repeat(64)]))).toBe(`${'x'.repeat(62)}_2`);
    expect(uniqueName('fresh', usedNames(tools))).toBe('fresh');
  });

  it('fills a workflow tool from the chosen workflow: its tool settings when it has them', () => {
    const tool = newTool('workflow');
    expect(pickWorkflow(tool, lookup, new Set())).toEqual({ type: 'workflow', workflowId: 'wf_lookup', name: 'lookup_order', description: 'Order status by id', requiresApproval: false });
    // No tool settings and no description: a name from the workflow's name, no description key.
    const picked = pickWorkflow({ ...tool, description: 'stale' }, plain, new Set(['creme_brulee_notify_2']));
    expect(picked).toEqual({ type: 'workflow', workflowId: 'wf_plain', name: 'creme_brulee_notify_2_2', requiresApproval: false });
    expect(pickWorkflow(picked, undefined, new Set()).workflowId).toBe('');
    expect(workflowOptionLabel(lookup)).toBe('Look up order — tool “lookup_order”');
    expect(workflowOptionLabel(plain)).toBe('Crème brûlée — notify #2 (no tool settings)');
  });

  it('new tools start in a shape the form can edit', () => {
    expect(newTool('http')).toMatchObject({ type: 'http', method: 'GET', inputSchema: { type: 'object' } });
    expect(newTool('mcp')).toEqual({ type: 'mcp', url: '', allow: [], requiresApproval: false });
    expect(toolTitle({ type: 'mcp', url: 'https://mcp.example.com/mcp', allow: ['a'] })).toBe('MCP server mcp.example.com · 1 tool');
    expect(toolTitle({ type: 'mcp', url: 'not a url', allow: [] })).toBe('MCP server · 0 tools');
    expect(toolTitle({ type: 'http', name: '' })).toBe('HTTP tool · unnamed');
  });

  it('ticks and unticks MCP tools in the order the server lists them', () => {
    const listed = ['search', 'fetch', 'delete'];
    expect(toggleAllowed([], 'fetch', true, listed)).toEqual(['fetch']);
    expect(toggleAllowed(['fetch'], 'search', true, listed)).toEqual(['search', 'fetch']);
    expect(toggleAllowed(['search', 'fetch'], 'search', false, listed)).toEqual(['fetch']);
    // A tool the server no longer lists stays allowed (and last) until unticked.
    expect(toggleAllowed(['gone'], 'search', true, listed)).toEqual(['search', 'gone']);
    expect(toggleAllowed(['gone', 'search'], 'gone', false, listed)).toEqual(['search']);
  });

  it('offers only the credential types each tool can send', () => {
    const credentials = ['openai', 'http_header', 'http_basic', 'http_bearer'].map((type) => ({ id: type, name: type, type }));
    expect(credentialsFor('http', credentials).map((c) => c.type)).toEqual(['http_header', 'http_basic', 'http_bearer']);
    expect(credentialsFor('mcp', credentials).map((c) => c.type)).toEqual(['http_header', 'http_bearer']);
  });

  it('takes JSON objects only in object boxes', () => {
    expect(parseJsonObject(' ')).toEqual({ value: undefined });
    expect(parseJsonObject('{"accept": "application/json"}')).toEqual({ value: { accept: 'application/json' } });
    expect(parseJsonObject('[1]')).toEqual({ error: 'must be a JSON object' });
    expect(parseJsonObject('null')).toEqual({ error: 'must be a JSON object' });
    expect(parseJsonObject('{"a":')).toMatchObject({ error: expect.stringMatching(/^not valid JSON/) });
  });

  it('puts validation problems on the tool they concern', () => {
    const { byTool, general } = problemsByTool([
      { path: '1.name', message: 'must be 1–64 letters, digits, _ or -' },
      { path: '1', message: 'duplicate tool name "x"' },
      { path: '0.inputSchema.type', message: 'unknown type' },
      { path: '', message: 'at most 32 tools' },
    ]);
    expect(byTool.get(1)).toEqual(['name: must be 1–64 letters, digits, _ or -', 'duplicate tool name "x"']);
    expect(byTool.get(0)).toEqual(['inputSchema.type: unknown type']);
    expect(general).toEqual(['at most 32 tools']);
  });
});

describe('workflow tool settings', () => {
  it('starts from the saved settings, or suggests them from the workflow', () => {
    expect(draftFrom(lookup.tool, lookup)).toMatchObject({ enabled: true, name: 'lookup_order', description: 'Order status by id' });
    expect(JSON.parse(draftFrom(lookup.tool, lookup).inputSchema)).toEqual(lookup.tool!.inputSchema);
    expect(draftFrom(null, { name: 'Send invoice', description: 'Mails it' })).toEqual({ enabled: false, name: 'send_invoice', description: 'Mails it', inputSchema: expect.stringContaining('"object"') });
  });

  it('gives the tool to save, null when switched off, or what is wrong by field', () => {
    const draft = { enabled: true, name: ' lookup_order ', description: ' Order status ', inputSchema: '{"type":"object","properties":{"orderId":{"type":"string"}}}' };
    expect(toolFromDraft(draft)).toEqual({ tool: { name: 'lookup_order', description: 'Order status', inputSchema: { type: 'object', properties: { orderId: { type: 'string' } } } } });
    expect(toolFromDraft({ ...draft, enabled: false, name: 'bad name!' })).toEqual({ tool: null });
    const bad = toolFromDraft({ enabled: true, name: 'bad name!', description: '  ', inputSchema: '{"type":"string"}' });
    expect(bad).toEqual({ errors: { name: expect.any(String), description: expect.any(String), inputSchema: expect.stringMatching(/"type": "object"/) } });
    expect(toolFromDraft({ ...draft, inputSchema: '{' })).toEqual({ errors: { inputSchema: expect.stringMatching(/^not valid JSON/) } });
    expect(toolFromDraft({ ...draft, inputSchema: '' })).toEqual({ errors: { inputSchema: 'is required' } });
  });

  it('places the API\'s problems on the dialog\'s fields', () => {
    expect(toolProblems([{ path: 'tool.name', message: '"x" is taken by another workflow of this team' }])).toEqual({ name: '"x" is taken by another workflow of this team' });
    expect(toolProblems([{ path: 'tool.inputSchema.properties.a', message: 'too deep' }, { path: 'description', message: 'too long' }])).toEqual({ inputSchema: 'properties.a: too deep', form: 'description: too long' });
    expect(toolProblems(undefined)).toEqual({});
  });
});
