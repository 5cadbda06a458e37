// The centre of the product, in a real browser against the real stack: build http → condition →
// approval → output in the designer with the mouse, see an invalid expression flagged on its
// node, undo a keyboard delete, save, test-run, watch the nodes turn green live, approve on the
// run view and read the output.
import type { Page } from 'playwright-core';
import { connectNodes, newPerson, openBrowser, screenshot, signUpAndLogIn, stack, visit, type BrowserSession } from './support/index.ts';

let browser: BrowserSession;
let page: Page;

beforeAll(async () => {
  browser = await openBrowser({ viewport: { width: 1600, height: 1000 } });
  page = browser.page;
});

afterAll(async () => {
  await browser?.close();
});

const node = (id: string) => page.getByTestId(`node-${id}`);
const panel = () => page.getByRole('complementary', { name: 'Node settings' });

/** Drags a palette entry onto the canvas at a point (HTML5 drag and drop, as a person does). */
async function dropFromPalette(type: string, at: { x: number; y: number }) {
  await page.getByTestId(`palette-${type}`).dragTo(page.getByTestId('canvas'), { targetPosition: at });
}

const connect = (from: string, port: string, to: string) => connectNodes(page, from, port, to);

async function edgeCount(atLeast: number) {
  await page.waitForFunction((n) => document.querySelectorAll('.react-flow__edge').length >= n, atLeast);
  return page.locator('.react-flow__edge').count();
}

async function select(id: string) {
  await node(id).click();
  await panel().getByLabel('Node id').waitFor();
  expect(await panel().getByLabel('Node id').inputValue()).toBe(id);
}

async function autoLayout() {
  await page.getByRole('button', { name: 'Auto-layout' }).click();
  await page.waitForTimeout(300); // the fit-view animation frame
}

it('builds, validates, saves, test-runs and approves a workflow through the designer and the run view', async () => {
  const { teamId } = await signUpAndLogIn(page, newPerson('designer'));

  // A new workflow from the workflows page opens the designer with a starter output node.
  await visit(page, `/t/${teamId}/workflows`);
  await page.getByRole('button', { name: 'New workflow' }).click();
  await page.getByRole('dialog').getByLabel('Name').fill('Health gate');
  await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
  await page.waitForURL((url) => /\/workflows\/[^/]+$/.test(url.pathname));
  await page.getByTestId('canvas').locator('.react-flow__node').first().waitFor();
  const outputId = ((await page.locator('[data-testid^="node-output"]').first().getAttribute('data-testid')) ?? '').replace('node-', '');
  expect(outputId).not.toBe('');

  // Palette → canvas by drag and drop.
  await dropFromPalette('http', { x: 120, y: 120 });
  await dropFromPalette('condition', { x: 120, y: 300 });
  await dropFromPalette('approval', { x: 120, y: 480 });
  for (const id of ['http_1', 'condition_1', 'approval_1']) await node(id).waitFor();
  await autoLayout();

  // Ports, by mouse: http → condition, condition.true → approval, approval.approved → output.
  await connect('http_1', 'out', 'condition_1');
  await connect('condition_1', 'true', 'approval_1');
  await connect('approval_1', 'approved', outputId);
  expect(await edgeCount(3)).toBe(3);
  await autoLayout();

  // Keyboard delete, then undo brings the node and its edges back.
  await node('approval_1').click();
  await page.keyboard.press('Delete');
  await node('approval_1').waitFor({ state: 'detached' });
  expect(await page.locator('.react-flow__edge').count()).toBe(1);
  await page.locator('body').click({ position: { x: 5, y: 5 } }).catch(() => undefined);
  await page.keyboard.press('Control+z');
  await node('approval_1').waitFor();
  expect(await edgeCount(3)).toBe(3);

  // Configure through the schema-driven side panel.
  await select('http_1');
  await panel().getByLabel('Url *').fill(stack.url('/healthz'));
  await select('condition_1');
  // An invalid expression is flagged as you type and shown on the node itself.
  await panel().getByLabel('Expression *').fill('steps.http_1.output.status =');
  await panel().getByRole('alert').first().waitFor();
  await node('condition_1').and(page.locator('[data-invalid="true"]')).waitFor();
  await screenshot(page, 'designer-invalid');
  await panel().getByLabel('Expression *').fill('steps.http_1.output.status = 200');
  await node('condition_1').and(page.locator('[data-invalid="false"]')).waitFor();
  await select('approval_1');
  await panel().getByLabel('Message *').fill('Ship it? Health is {{ steps.http_1.output.body.status }}');
  await select(outputId);
  await panel().getByLabel('Value *').fill('{"health": "{{ steps.http_1.output.body.status }}", "decision": "{{ steps.approval_1.output.decision }}"}');
  await page.locator('.react-flow__pane').click({ position: { x: 10, y: 10 } });
  await page.getByText('The graph is valid.').waitFor();

  // Save: a new version.
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByText('Saved as version 2').waitFor();
  await screenshot(page, 'designer');
  await page.getByRole('button', { name: /^Versions \(2\)$/ }).waitFor();

  // Test run → the run view; nodes turn green live, the approval waits.
  await page.getByRole('button', { name: 'Test run' }).click();
  await page.getByRole('dialog').getByLabel('Input (JSON)').fill('{"who": "e2e"}');
  await page.getByRole('dialog').getByRole('button', { name: 'Run' }).click();
  await page.waitForURL((url) => /\/runs\/[^/]+$/.test(url.pathname));
  await node('http_1').and(page.locator('[data-status="succeeded"]')).waitFor({ timeout: 60_000 });
  await node('condition_1').and(page.locator('[data-status="succeeded"]')).waitFor({ timeout: 60_000 });
  await node('approval_1').and(page.locator('[data-status="waiting"]')).waitFor({ timeout: 60_000 });
  expect(await page.getByTestId('approval-message').textContent()).toBe('Ship it? Health is ok');
  await screenshot(page, 'run-waiting');

  await page.getByRole('button', { name: 'Approve' }).click();
  await page.getByTestId('run-status').and(page.getByText('succeeded', { exact: true })).waitFor({ timeout: 60_000 });
  await node(outputId).and(page.locator('[data-status="succeeded"]')).waitFor();
  const output = JSON.parse((await page.getByTestId('run-output').textContent()) ?? 'null') as { health: string; decision: string };
  expect(output.health).toBe('ok');
  expect(output.decision).toMatch(/approve/);
  // Per-node details: what flowed in, what came out.
  await node('condition_1').click();
  const details = page.getByRole('complementary', { name: 'Run details' });
  await details.getByRole('heading', { name: 'Input' }).waitFor();
  expect(await details.textContent()).toContain('steps.http_1.output');
  expect(await details.textContent()).toMatch(/"status": 200/);
  await screenshot(page, 'run-succeeded');

  // The dashboard counts it: one run today, all succeeded.
  await visit(page, `/t/${teamId}`);
  await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
  expect(await page.locator('main').textContent()).toContain('100%');
  await screenshot(page, 'dashboard-with-runs');
  expect(browser.pageErrors).toEqual([]);
});
