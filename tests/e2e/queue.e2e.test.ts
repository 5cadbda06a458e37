// The admission queue in the web app (issue 12): a free-plan team (2 concurrent runs) starts 4 runs
// that park on approvals; the 2 beyond the plan show as queued with their places in the runs list
// and on their pages, one is cancelled from its page, and approving a running one lets the other
// queued run start.
import type { Page } from 'playwright-core';
import { newPerson, openBrowser, screenshot, signUpAndLogIn, stack, visit, type BrowserSession } from './support/index.ts';

let browser: BrowserSession;
let page: Page;
let teamId: string;

beforeAll(async () => {
  browser = await openBrowser({ viewport: { width: 1440, height: 900 } });
  page = browser.page;
  ({ teamId } = await signUpAndLogIn(page, newPerson('queue')));
});

afterAll(async () => {
  await browser?.close();
});

const headers = () => ({ origin: stack.webUrl });

async function api<T>(method: 'get' | 'post', path: string, data?: unknown): Promise<T> {
  const response = method === 'get' ? await page.request.get(stack.url(path), { headers: headers() }) : await page.request.post(stack.url(path), { headers: headers(), data });
  expect(response.status()).toBeLessThan(300);
  return (await response.json()) as T;
}

/** Polls the API until `done` (state, never time). */
async function until<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} never happened`);
}

const runStatus = (runId: string) => api<{ status: string }>('get', `/api/v1/teams/${teamId}/runs/${runId}`).then((r) => r.status);

it('shows queued runs with their places, cancels one from its page, and starts the next when a slot frees', async () => {
  const workflow = await api<{ id: string }>('post', `/api/v1/teams/${teamId}/workflows`, {
    name: `queue ${Date.now()}`,
    graph: { nodes: [{ id: 'gate', type: 'approval', config: { message: 'Let it finish?' } }] },
  });
  const runs: string[] = [];
  for (let i = 0; i < 4; i++) {
    const started = await api<{ runId: string; status: string }>('post', `/api/v1/teams/${teamId}/workflows/${workflow.id}/runs`, { input: { i } });
    expect(started.status).toBe('queued');
    runs.push(started.runId);
    // The first two take the plan's two slots before the next start, so the order is known.
    if (i < 2) await until(`run ${i} waiting`, () => runStatus(started.runId), (s) => s === 'waiting');
  }
  const [first, , third, fourth] = runs as [string, string, string, string];

  // The runs list: the queue summary and each queued run's place.
  await visit(page, `/t/${teamId}/runs`);
  const summary = page.getByTestId('queue-summary');
  await expect(summary.textContent()).resolves.toMatch(/2 of 2\s*running · 2 queued/);
  await page.getByRole('link', { name: '2 queued' }).click();
  await page.waitForURL(/status=queued/);
  // The unfiltered list shows the same places: wait for the filtered page itself, by its filter.
  await until('the status filter shows queued', () => page.getByRole('combobox', { name: 'Status' }).inputValue(), (value) => value === 'queued');
  await page.getByTestId('queue-place').nth(1).waitFor();
  const places = await page.getByTestId('queue-place').allTextContents();
  // Newest first: the fourth run is second in the queue, the third first.
  expect(places).toEqual(['#2 · P3', '#1 · P3']);
  await expect(page.getByRole('combobox', { name: 'Status' }).inputValue()).resolves.toBe('queued');
  await screenshot(page, 'queue-runs-list');

  // The third run's page: queued, first in line; cancelled from there.
  await visit(page, `/t/${teamId}/runs/${third}`);
  await expect(page.getByTestId('run-status').textContent()).resolves.toBe('queued');
  await expect(page.getByTestId('run-queue').textContent()).resolves.toContain('position 1 · priority 3');
  await page.getByRole('button', { name: 'Cancel run' }).click();
  await page.getByTestId('run-status').filter({ hasText: 'cancelled' }).waitFor();
  expect(await runStatus(third)).toBe('cancelled');

  // The fourth moves up to first; approving the first run frees a slot and the fourth starts.
  await visit(page, `/t/${teamId}/runs/${fourth}`);
  await page.getByTestId('run-queue').filter({ hasText: 'position 1' }).waitFor();
  await screenshot(page, 'queue-run-queued');
  const approved = await page.request.post(stack.url(`/api/v1/teams/${teamId}/runs/${first}/approvals/gate`), { headers: headers(), data: { decision: 'approve' } });
  expect(approved.status()).toBe(200);
  // The page follows on its own (it refreshes while queued, then live events): waiting on its gate.
  await page.getByTestId('run-status').filter({ hasText: 'waiting' }).waitFor({ timeout: 60_000 });
  await page.getByRole('button', { name: 'Approve' }).waitFor();
  expect(await runStatus(fourth)).toBe('waiting');
  expect(await runStatus(third)).toBe('cancelled');
  expect(await runStatus(first)).toBe('succeeded');

  // Nothing is queued any more.
  await visit(page, `/t/${teamId}/runs`);
  await expect(page.getByTestId('queue-summary').textContent()).resolves.toMatch(/2 of 2\s*running · nothing queued/);
  await screenshot(page, 'queue-runs-after');
});

it('puts a priority-1 run started after priority-3 runs first in line', async () => {
  // The previous test left both slots taken (two runs waiting on their gates): new starts queue.
  const workflow = await api<{ id: string }>('post', `/api/v1/teams/${teamId}/workflows`, {
    name: `priority ${Date.now()}`,
    graph: { nodes: [{ id: 'gate', type: 'approval', config: { message: 'Hold' } }] },
  });
  const start = (priority: number) => api<{ runId: string; status: string }>('post', `/api/v1/teams/${teamId}/workflows/${workflow.id}/runs`, { priority });
  const normal = [await start(3), await start(3)];
  const urgent = await start(1);
  for (const started of [...normal, urgent]) expect(started.status).toBe('queued');

  await visit(page, `/t/${teamId}/runs?status=queued`);
  await page.getByTestId('queue-place').nth(2).waitFor();
  // Newest first: the urgent run was started last but is first in line; the others move down.
  expect(await page.getByTestId('queue-place').allTextContents()).toEqual(['#1 · P1', '#3 · P3', '#2 · P3']);
  await visit(page, `/t/${teamId}/runs/${urgent.runId}`);
  await expect(page.getByTestId('run-queue').textContent()).resolves.toContain('position 1 · priority 1');
  await visit(page, `/t/${teamId}/runs/${normal[0]!.runId}`);
  await expect(page.getByTestId('run-queue').textContent()).resolves.toContain('position 2 · priority 3');
  await screenshot(page, 'queue-priority');
});
