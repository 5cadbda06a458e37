// Failure tracking in the browser: runs that fail at the same node are grouped on the Failures
// page (count, node, code, the latest message, links to the runs), and the dashboard shows the
// error trend and the top failures with a link to that page.
import { newPerson, openBrowser, screenshot, signUpAndLogIn, stack, visit, type BrowserSession } from './support/index.ts';

let browser: BrowserSession;
let teamId: string;

beforeAll(async () => {
  browser = await openBrowser();
  ({ teamId } = await signUpAndLogIn(browser.page, newPerson('failures')));
});

afterAll(async () => {
  await browser?.close();
});

/** Polls the run until it has ended (the worker runs it in the background); returns its status. */
async function waitForEnd(runId: string): Promise<string> {
  const deadline = Date.now() + 90_000;
  let status = '';
  while (Date.now() < deadline) {
    const response = await browser.page.request.get(stack.url(`/api/v1/teams/${teamId}/runs/${runId}`));
    status = ((await response.json()) as { status: string }).status;
    if (!['queued', 'running', 'waiting'].includes(status)) return status;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`run ${runId} is still ${status} after 90 s`);
}

it('groups runs that failed at the same node on the Failures page, linked from the dashboard', async () => {
  const { page } = browser;
  const headers = { origin: stack.webUrl };
  const graph = {
    nodes: [
      { id: 'fetch_invoices', type: 'transform', config: { expression: '$error("invoice feed is down")' } },
      { id: 'output', type: 'output', config: { value: '{{ steps.fetch_invoices.output }}' } },
    ],
    edges: [{ from: 'fetch_invoices', to: 'output' }],
  };
  const created = await page.request.post(stack.url(`/api/v1/teams/${teamId}/workflows`), { headers, data: { name: 'Invoice import', graph } });
  expect(created.status()).toBe(201);
  const { id: workflowId } = (await created.json()) as { id: string };
  const runIds: string[] = [];
  for (let i = 0; i < 2; i++) {
    const started = await page.request.post(stack.url(`/api/v1/teams/${teamId}/workflows/${workflowId}/runs`), { headers, data: { input: { i } } });
    expect(started.status()).toBe(202);
    runIds.push(((await started.json()) as { runId: string }).runId);
  }
  for (const runId of runIds) expect(await waitForEnd(runId)).toBe('failed');

  // The dashboard: the error trend, and the group among the top failures, linked to the page.
  await visit(page, `/t/${teamId}`);
  await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
  await page.getByText('2 failed or timed-out runs this month').waitFor();
  const top = page.locator('section').filter({ has: page.getByRole('heading', { name: 'Top failures this month' }) });
  await top.getByText('Invoice import').waitFor();
  expect(await top.textContent()).toContain('invoice feed is down');
  await screenshot(page, 'dashboard-failures');
  await page.getByRole('link', { name: 'All failures' }).click();

  // The Failures page: one group of two runs at fetch_invoices, with the message and both runs.
  await page.waitForURL((url) => url.pathname === `/t/${teamId}/failures`);
  await page.getByRole('heading', { name: 'Failures', level: 1 }).waitFor();
  const groups = page.getByTestId('failure-group');
  await groups.first().waitFor();
  expect(await groups.count()).toBe(1);
  const group = groups.first();
  const text = (await group.textContent()) ?? '';
  expect(text).toContain('Invoice import');
  expect(text).toContain('fetch_invoices');
  expect(text).toContain('invoice feed is down');
  expect(await group.getByRole('cell').nth(2).textContent()).toBe('2');
  const runLinks = await group.getByRole('link').evaluateAll((links) => links.map((a) => a.getAttribute('href')));
  for (const runId of runIds) expect(runLinks).toContain(`/t/${teamId}/runs/${encodeURIComponent(runId)}`);
  await screenshot(page, 'failures');

  // The nav links it too; a shorter window still holds these fresh failures.
  expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Failures' }).getAttribute('href')).toBe(`/t/${teamId}/failures`);
  await page.getByLabel('Window').selectOption('24h');
  await page.waitForURL((url) => url.searchParams.get('window') === '24h');
  await groups.first().waitFor();
  expect(await groups.count()).toBe(1);
  expect(browser.pageErrors).toEqual([]);
});
