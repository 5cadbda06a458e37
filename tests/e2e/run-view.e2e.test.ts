// The run view beyond the happy path of designer.e2e: AI tokens streaming into the node while the
// page watches, a large output kept in blob storage and loaded on demand, a rejected approval, and
// "Rerun from this node" making a new run that reuses the upstream outputs.
import type { Page } from 'playwright-core';
import { newPerson, openBrowser, screenshot, signUpAndLogIn, stack, visit, type BrowserSession } from './support/index.ts';

let browser: BrowserSession;
let page: Page;
let teamId: string;

beforeAll(async () => {
  browser = await openBrowser({ viewport: { width: 1440, height: 900 } });
  page = browser.page;
  ({ teamId } = await signUpAndLogIn(page, newPerson('runview')));
});

afterAll(async () => {
  await browser?.close();
});

const node = (id: string) => page.getByTestId(`node-${id}`);

/**
 * Records every canvas node that React Flow hides (visibility: hidden, its "not measured yet"
 * state) from now on. A node once shown must never hide again: live status changes used to make
 * it forget its size each time, and once a "succeeded" node stayed hidden for good.
 */
async function watchHiddenNodes(): Promise<() => Promise<string[]>> {
  await page.locator('.react-flow__node').first().waitFor();
  await page.waitForFunction(() => [...document.querySelectorAll<HTMLElement>('.react-flow__node')].every((el) => el.style.visibility !== 'hidden'));
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { hiddenNodes: string[] }).hiddenNodes = seen;
    new MutationObserver((records) => {
      for (const record of records) {
        const el = record.target as HTMLElement;
        if (el.classList.contains('react-flow__node') && el.style.visibility === 'hidden') seen.push(el.dataset.id ?? '?');
      }
    }).observe(document.querySelector('.react-flow__nodes')!, { attributes: true, attributeFilter: ['style'], subtree: true });
  });
  return () => page.evaluate(() => (window as unknown as { hiddenNodes: string[] }).hiddenNodes);
}
const details = () => page.getByRole('complementary', { name: 'Run details' });

/** Saves a workflow and starts it through the API with the browser's session. */
async function startWorkflow(graph: unknown, input: unknown = {}): Promise<string> {
  const headers = { origin: stack.webUrl };
  const created = await page.request.post(stack.url(`/api/v1/teams/${teamId}/workflows`), { headers, data: { name: `run view ${Date.now()}`, graph } });
  expect(created.status()).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const started = await page.request.post(stack.url(`/api/v1/teams/${teamId}/workflows/${id}/runs`), { headers, data: { input } });
  expect(started.status()).toBe(202);
  return ((await started.json()) as { runId: string }).runId;
}

it('streams AI tokens into the node while the page watches, and shows a large output on demand', async () => {
  const runId = await startWorkflow({
    nodes: [
      { id: 'gate', type: 'approval', config: { message: 'Start the summary?' } },
      { id: 'big', type: 'transform', config: { expression: '$pad("", 70000, "z")' } },
      { id: 'summary', type: 'ai', config: { prompt: 'Summarize the durable execution model for {{ input.topic }}', cache: false } },
      { id: 'done', type: 'output', config: { value: '{{ steps.summary.output.text }}' } },
    ],
    edges: [
      { from: 'gate', port: 'approved', to: 'big' },
      { from: 'big', to: 'summary' },
      { from: 'summary', to: 'done' },
    ],
  }, { topic: 'Trellis' });

  // The page is open (and subscribed) before the AI call starts: the run waits on the gate.
  await visit(page, `/t/${teamId}/runs/${runId}`);
  await node('gate').and(page.locator('[data-status="waiting"]')).waitFor({ timeout: 60_000 });
  const hiddenNodes = await watchHiddenNodes();
  await page.getByRole('button', { name: 'Approve' }).click();
  await node('done').and(page.locator('[data-status="succeeded"]')).waitFor({ timeout: 60_000 });
  // Four nodes went through running and succeeded live; none was hidden on the way.
  expect(await hiddenNodes()).toEqual([]);

  // The fake model echoes the prompt; its tokens arrived over SSE and show on the node and in its panel.
  await node('summary').getByText(/You said: Summarize the durable execution model for Trellis/).waitFor();
  await node('summary').click();
  const streamed = await details().getByTestId('ai-tokens').textContent();
  expect(streamed).toBe('You said: Summarize the durable execution model for Trellis');
  await screenshot(page, 'run-ai-tokens');

  // 70 kB is above the blob threshold: the panel offers to load it instead of shipping it with the run.
  await node('big').click();
  await details().getByText(/The output is large \(\d+ KiB\)/).waitFor();
  await details().getByRole('button', { name: 'Load output' }).click();
  await details().getByRole('button', { name: /Show all/ }).waitFor();
  expect(await details().locator('pre').last().textContent()).toMatch(/^"z{1000}/);
  expect(browser.pageErrors).toEqual([]);
});

it('shows a rejection, then reruns from a node with the upstream outputs reused', async () => {
  const runId = await startWorkflow({
    nodes: [
      { id: 'stamp', type: 'transform', config: { expression: '$millis()' } },
      { id: 'ask', type: 'approval', config: { message: 'Publish {{ steps.stamp.output }}?', form: [{ name: 'reason', type: 'string', label: 'Reason' }] } },
      { id: 'yes', type: 'output', config: { value: { stamp: '{{ steps.stamp.output }}', decision: 'published' } } },
      { id: 'no', type: 'output', config: { value: { stamp: '{{ steps.stamp.output }}', reason: '{{ steps.ask.output.data.reason }}' } } },
    ],
    edges: [
      { from: 'stamp', to: 'ask' },
      { from: 'ask', port: 'approved', to: 'yes' },
      { from: 'ask', port: 'rejected', to: 'no' },
    ],
  });
  await visit(page, `/t/${teamId}/runs/${runId}`);
  await page.getByTestId('approval-message').waitFor({ timeout: 60_000 });
  // Approvers often answer from a phone: the form comes first and nothing scrolls sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole('button', { name: 'Reject' }).waitFor();
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  expect((await page.getByRole('button', { name: 'Approve' }).boundingBox())!.y).toBeLessThan(844);
  await screenshot(page, 'approval-phone');
  await page.setViewportSize({ width: 1440, height: 900 });
  await page.getByLabel('Reason').fill('not today');
  await page.getByRole('button', { name: 'Reject' }).click();
  await node('no').and(page.locator('[data-status="succeeded"]')).waitFor({ timeout: 60_000 });
  await node('yes').and(page.locator('[data-status="skipped"]')).waitFor();
  const first = JSON.parse((await page.getByTestId('run-output').textContent()) ?? 'null') as { stamp: number; reason: string };
  expect(first.reason).toBe('not today');

  // Rerun from the approval: a new run whose "stamp" is the original's, asking again.
  await node('ask').click();
  await details().getByRole('button', { name: 'Rerun from this node' }).click();
  await page.waitForURL((url) => url.pathname.endsWith('/runs/' + runId) === false && /\/runs\/[^/]+$/.test(url.pathname));
  await page.getByTestId('approval-message').waitFor({ timeout: 60_000 });
  expect(await page.getByTestId('approval-message').textContent()).toBe(`Publish ${first.stamp}?`);
  await page.getByRole('button', { name: 'Approve' }).click();
  await node('yes').and(page.locator('[data-status="succeeded"]')).waitFor({ timeout: 60_000 });
  const second = JSON.parse((await page.getByTestId('run-output').textContent()) ?? 'null') as { stamp: number; decision: string };
  expect(second).toEqual({ stamp: first.stamp, decision: 'published' });
  expect(browser.pageErrors).toEqual([]);
});
