// The agent node in a real browser against the real stack: a workflow is offered as a tool from its
// settings, an agent is built in the designer with that workflow as its one tool (each call needs
// approval), and the run view shows the agent's steps as they arrive — the model's call, the tool
// waiting for a person, then the tool's result and the model's answer. Then a remote MCP server
// (tests/support/mcp-server.ts, on loopback) has its tools listed in the designer and one ticked.
// The model is the fake OpenAI-compatible server: it calls the tools named in the prompt with the
// `#args=` given there, and answers "Tool results: …" once it has them (tests/support/fake-openai.ts).
import type { Page } from 'playwright-core';
import { startMcpServer, type FakeMcpServer } from '../support/mcp-server.ts';
import { json, startHttpTarget } from '../support/http-target.ts';
import { connectNodes, newPerson, openBrowser, screenshot, signUpAndLogIn, stack, visit, type BrowserSession } from './support/index.ts';

let browser: BrowserSession;
let page: Page;
let teamId: string;
let mcp: FakeMcpServer;

beforeAll(async () => {
  browser = await openBrowser({ viewport: { width: 1600, height: 1000 } });
  page = browser.page;
  mcp = await startMcpServer();
  ({ teamId } = await signUpAndLogIn(page, newPerson('agent')));
});

afterAll(async () => {
  await browser?.close();
  await mcp?.close();
});

const node = (id: string) => page.getByTestId(`node-${id}`);
const panel = () => page.getByRole('complementary', { name: 'Node settings' });
const details = () => page.getByRole('complementary', { name: 'Run details' });
const step = (index: number) => details().getByTestId(`agent-step-${index}`);

const connect = (from: string, port: string, to: string) => connectNodes(page, from, port, to);

const INPUT_SCHEMA = { type: 'object', properties: { orderId: { type: 'string' } }, required: ['orderId'] };

it('builds an agent with a workflow tool in the designer, and its steps arrive live in the run view', async () => {
  // The tool: a saved workflow (made through the API; its graph is not the point here) that gets
  // its tool settings in the designer's Settings dialog.
  const headers = { origin: stack.webUrl };
  const created = await page.request.post(stack.url(`/api/v1/teams/${teamId}/workflows`), {
    headers,
    data: { name: 'Order status', graph: { nodes: [{ id: 'answer', type: 'output', config: { value: { orderId: '{{ input.orderId }}', status: 'shipped' } } }], edges: [] } },
  });
  expect(created.status()).toBe(201);
  const toolWorkflowId = ((await created.json()) as { id: string }).id;
  await visit(page, `/t/${teamId}/workflows/${toolWorkflowId}`);
  await page.getByRole('button', { name: 'Settings', exact: true }).click();
  const settings = page.getByRole('dialog', { name: 'Workflow settings' });
  await settings.getByLabel('Offer this workflow as a tool').check();
  expect(await settings.getByLabel('Tool name').inputValue()).toBe('order_status'); // suggested from the workflow's name
  await settings.getByLabel('Tool description').fill('The status of an order, by its id');
  await settings.getByLabel('Input schema').fill(JSON.stringify(INPUT_SCHEMA));
  await screenshot(page, 'workflow-tool-settings');
  await settings.getByRole('button', { name: 'Save settings' }).click();
  await page.getByText('Settings saved').waitFor();
  const saved = (await (await page.request.get(stack.url(`/api/v1/teams/${teamId}/workflows/${toolWorkflowId}`))).json()) as { version: number; tool: unknown };
  // Tool settings belong to the workflow: saved without a new version.
  expect(saved).toMatchObject({ version: 1, tool: { name: 'order_status', description: 'The status of an order, by its id', inputSchema: INPUT_SCHEMA } });

  // The agent: a new workflow, the agent node from the palette, the tool picked from the team's workflows.
  await visit(page, `/t/${teamId}/workflows`);
  await page.getByRole('button', { name: 'New workflow' }).click();
  await page.getByRole('dialog').getByLabel('Name').fill('Order agent');
  await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
  await page.waitForURL((url) => /\/workflows\/[^/]+$/.test(url.pathname));
  await page.getByTestId('canvas').locator('.react-flow__node').first().waitFor();
  const outputId = ((await page.locator('[data-testid^="node-output"]').first().getAttribute('data-testid')) ?? '').replace('node-', '');
  await page.getByTestId('palette-agent').click();
  await node('agent_1').waitFor();
  await panel().getByLabel('Node id').waitFor();
  expect(await panel().getByLabel('Node id').inputValue()).toBe('agent_1');
  await panel().getByLabel('Prompt *').fill('What is the status of order 42? Ask order_status #args={"orderId":"42"}');
  await panel().getByRole('button', { name: 'Add Workflow tool' }).click();
  const tool = panel().getByRole('group', { name: /^Tool 1/ });
  await tool.getByLabel('Workflow').selectOption({ label: 'Order status — tool “order_status”' });
  expect(await tool.getByLabel('Name').inputValue()).toBe('order_status');
  expect(await tool.getByLabel('Description').inputValue()).toBe('The status of an order, by its id');
  await tool.getByLabel('Requires approval').check();
  await screenshot(page, 'designer-agent-tools');

  await page.getByRole('button', { name: 'Auto-layout' }).click();
  await connect('agent_1', 'out', outputId);
  await page.locator('.react-flow__edge').first().waitFor();
  await node(outputId).click();
  await panel().getByLabel('Value *').fill('{{ steps.agent_1.output.text }}');
  await page.locator('.react-flow__pane').click({ position: { x: 10, y: 10 } });
  await page.getByText('The graph is valid.').waitFor();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByText('Saved as version 2').waitFor();

  // Test run → the run view, open (and subscribed) while the agent works.
  await page.getByRole('button', { name: 'Test run' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Run' }).click();
  await page.waitForURL((url) => /\/runs\/[^/]+$/.test(url.pathname));
  await node('agent_1').click();
  await details().getByRole('region', { name: 'Agent steps' }).waitFor({ timeout: 60_000 });

  // The model asked for the tool; the call waits for a person, with the tool and its arguments.
  await node('agent_1').and(page.locator('[data-status="waiting"]')).waitFor({ timeout: 60_000 });
  await step(1).and(page.locator('[data-status="waiting"]')).waitFor();
  expect(await page.getByTestId('approval-message').textContent()).toMatch(/order_status.*42/);
  expect(await step(0).getAttribute('data-kind')).toBe('model');
  expect(await step(0).getAttribute('data-status')).toBe('succeeded');
  expect(await step(1).textContent()).toMatch(/Tool order_status.*waiting for approval/);
  expect(await step(1).textContent()).toMatch(/"orderId":\s*"42"/);
  await screenshot(page, 'run-agent-waiting');

  // Approved: the tool's child run answers, the model reads it and answers; each step appears live.
  await page.getByRole('button', { name: 'Approve' }).click();
  await step(1).and(page.locator('[data-status="succeeded"]')).waitFor({ timeout: 60_000 });
  expect(await step(1).textContent()).toContain('shipped');
  await step(2).and(page.locator('[data-status="succeeded"]')).waitFor({ timeout: 60_000 });
  expect(await step(2).getAttribute('data-kind')).toBe('model');
  expect(await step(2).textContent()).toMatch(/Tool results:.*shipped/);
  await page.getByTestId('run-status').and(page.getByText('succeeded', { exact: true })).waitFor({ timeout: 60_000 });
  expect(await details().getByTestId('agent-totals').textContent()).toMatch(/^2 model turns · 1 tool call · [1-9]\d* tokens/);
  await screenshot(page, 'run-agent-steps');

  // The run's output is the agent's answer.
  await details().getByRole('button', { name: 'Close' }).click();
  expect(await page.getByTestId('run-output').textContent()).toMatch(/Tool results:.*shipped/);
  expect(browser.pageErrors).toEqual([]);
});

it('lists a remote MCP server\'s tools in the designer, and the agent calls the one allowed', async () => {
  // A workflow that is one agent node (made through the API); its MCP tool is set up in the designer.
  const created = await page.request.post(stack.url(`/api/v1/teams/${teamId}/workflows`), {
    headers: { origin: stack.webUrl },
    data: { name: 'Weather agent', graph: { nodes: [{ id: 'weather', type: 'agent', config: { prompt: 'Weather in Paris? Use lookup_weather #args={"city":"Paris"}' } }], edges: [] } },
  });
  expect(created.status()).toBe(201);
  const { id } = (await created.json()) as { id: string };
  await visit(page, `/t/${teamId}/workflows/${id}`);
  await node('weather').click();
  await panel().getByRole('button', { name: 'Add MCP server' }).click();
  const tool = panel().getByRole('group', { name: /^Tool 1/ });
  await tool.getByLabel('Server URL').fill(mcp.url);
  // "List tools" asks the server (through the api, SSRF-guarded there) and offers its tools to tick.
  await tool.getByRole('button', { name: 'List tools' }).click();
  const allowed = tool.getByRole('group', { name: 'Allowed tools' });
  await allowed.getByLabel('lookup_weather').waitFor();
  expect(await allowed.getByRole('checkbox').count()).toBe(4); // lookup_weather, add, big, fail
  await allowed.getByLabel('lookup_weather').check();
  await tool.getByText('Tool 1: MCP server 127.0.0.1').waitFor();
  await page.locator('.react-flow__pane').click({ position: { x: 10, y: 10 } });
  await page.getByText('The graph is valid.').waitFor();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByText('Saved as version 2').waitFor();

  await page.getByRole('button', { name: 'Test run' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Run' }).click();
  await page.waitForURL((url) => /\/runs\/[^/]+$/.test(url.pathname));
  await node('weather').click();
  await node('weather').and(page.locator('[data-status="succeeded"]')).waitFor({ timeout: 60_000 });
  await step(1).and(page.locator('[data-status="succeeded"]')).waitFor();
  expect(await step(1).textContent()).toMatch(/Tool lookup_weather.*Sunny, 21 °C in Paris/s);
  expect(await step(2).textContent()).toMatch(/Tool results:.*Sunny, 21 °C in Paris/s);
  expect(mcp.calls).toEqual({ lookup_weather: 1 });
  expect(browser.pageErrors).toEqual([]);
});

it('shows a rejected tool call in the timeline, and the agent answers without it', async () => {
  // Made through the API this time: a tool workflow and an agent whose one tool needs approval.
  const headers = { origin: stack.webUrl };
  const tool = await page.request.post(stack.url(`/api/v1/teams/${teamId}/workflows`), {
    headers,
    data: {
      name: 'Cancel order',
      tool: { name: 'cancel_order', description: 'Cancels an order', inputSchema: INPUT_SCHEMA },
      graph: { nodes: [{ id: 'done', type: 'output', config: { value: { cancelled: '{{ input.orderId }}' } } }], edges: [] },
    },
  });
  expect(tool.status()).toBe(201);
  const toolId = ((await tool.json()) as { id: string }).id;
  const agent = await page.request.post(stack.url(`/api/v1/teams/${teamId}/workflows`), {
    headers,
    data: {
      name: 'Careful agent',
      graph: {
        nodes: [{ id: 'careful', type: 'agent', config: { prompt: 'Cancel order 7 with cancel_order #args={"orderId":"7"}', tools: [{ type: 'workflow', workflowId: toolId, name: 'cancel_order', requiresApproval: true }] } }],
        edges: [],
      },
    },
  });
  expect(agent.status()).toBe(201);
  const agentId = ((await agent.json()) as { id: string }).id;
  const started = await page.request.post(stack.url(`/api/v1/teams/${teamId}/workflows/${agentId}/runs`), { headers, data: { input: {} } });
  expect(started.status()).toBe(202);
  const { runId } = (await started.json()) as { runId: string };

  await visit(page, `/t/${teamId}/runs/${runId}`);
  await page.getByTestId('approval-message').waitFor({ timeout: 60_000 });
  await node('careful').click();
  await step(1).and(page.locator('[data-status="waiting"]')).waitFor();
  await page.getByLabel('Comment').fill('not this one');
  await page.getByRole('button', { name: 'Reject' }).click();
  await step(1).and(page.locator('[data-status="rejected"]')).waitFor({ timeout: 60_000 });
  expect(await step(1).textContent()).toContain('a person rejected this call: not this one');
  await step(2).and(page.locator('[data-status="succeeded"]')).waitFor({ timeout: 60_000 });
  await node('careful').and(page.locator('[data-status="succeeded"]')).waitFor({ timeout: 60_000 });
  expect(await step(2).textContent()).toMatch(/Tool results:.*rejected/);
  // The tool's workflow never ran.
  const runs = (await (await page.request.get(stack.url(`/api/v1/teams/${teamId}/runs?workflowId=${toolId}`))).json()) as { items: unknown[] };
  expect(runs.items).toEqual([]);
  await screenshot(page, 'run-agent-rejected');
  expect(browser.pageErrors).toEqual([]);
});

it('answers a question that needs a workflow tool, an HTTP tool and an MCP tool, its five steps arriving live', async () => {
  const target = await startHttpTarget({ '/price': json(200, { item: 'tea', priceUsd: 4.5 }) });
  try {
    const headers = { origin: stack.webUrl };
    const doubler = await page.request.post(stack.url(`/api/v1/teams/${teamId}/workflows`), {
      headers,
      data: {
        name: 'Doubler',
        tool: { name: 'double', description: 'Doubles n', inputSchema: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] } },
        graph: { nodes: [{ id: 'out', type: 'output', config: { value: '{{ { "doubled": input.n * 2 } }}' } }], edges: [] },
      },
    });
    expect(doubler.status()).toBe(201);
    const doublerId = ((await doubler.json()) as { id: string }).id;
    // The fake model calls every tool named in the prompt, each with the `#args=` object.
    const prompt = 'Use double, price_lookup and lookup_weather #args={"n":21,"item":"tea","city":"Paris"}';
    const tools = [
      { type: 'workflow', workflowId: doublerId, name: 'double' },
      { type: 'http', name: 'price_lookup', description: 'The price of an item', url: `${target.url}/price?item={{ args.item }}`, inputSchema: { type: 'object', properties: { item: { type: 'string' } } } },
      { type: 'mcp', url: mcp.url, allow: ['lookup_weather'] },
    ];
    const agent = await page.request.post(stack.url(`/api/v1/teams/${teamId}/workflows`), {
      headers,
      data: { name: 'Three tools', graph: { nodes: [{ id: 'helper', type: 'agent', config: { prompt, tools } }], edges: [] } },
    });
    expect(agent.status()).toBe(201);
    const agentId = ((await agent.json()) as { id: string }).id;
    mcp.reset();
    const started = await page.request.post(stack.url(`/api/v1/teams/${teamId}/workflows/${agentId}/runs`), { headers, data: { input: {} } });
    expect(started.status()).toBe(202);
    const { runId } = (await started.json()) as { runId: string };

    await visit(page, `/t/${teamId}/runs/${runId}`);
    await node('helper').click();
    await details().getByRole('region', { name: 'Agent steps' }).waitFor({ timeout: 60_000 });
    await step(4).and(page.locator('[data-status="succeeded"]')).waitFor({ timeout: 60_000 });
    expect(await step(0).getAttribute('data-kind')).toBe('model');
    expect(await step(1).textContent()).toMatch(/Tool double.*"doubled":\s*42/s);
    expect(await step(2).textContent()).toMatch(/Tool price_lookup.*4\.5/s);
    expect(await step(3).textContent()).toMatch(/Tool lookup_weather.*Sunny, 21 °C in Paris/s);
    expect(await step(4).textContent()).toMatch(/Tool results:.*42.*4\.5.*Sunny, 21 °C in Paris/s);
    await page.getByTestId('run-status').and(page.getByText('succeeded', { exact: true })).waitFor({ timeout: 60_000 });
    // Each tool ran exactly once.
    expect(target.count('/price')).toBe(1);
    expect(mcp.calls).toEqual({ lookup_weather: 1 });
    await screenshot(page, 'run-agent-three-tools');
    expect(browser.pageErrors).toEqual([]);
  } finally {
    await target.close();
  }
});
