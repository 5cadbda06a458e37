// The main pages of a signed-in person, each opened in the browser and saved as a screenshot:
// the runs list, the account page (whose login history lists the sign-ins), the status page.
import type { Page } from 'playwright-core';
import { logIn, logOut, newPerson, openBrowser, pathOf, screenshot, signUpAndLogIn, stack, visit, type BrowserSession } from './support/index.ts';

/** Starts a run through the API with the browser's session (cookie writes must name the origin). */
async function startRun(page: Page, teamId: string, workflowId: string, input: unknown): Promise<string> {
  const response = await page.request.post(stack.url(`/api/v1/teams/${teamId}/workflows/${workflowId}/runs`), {
    headers: { origin: stack.webUrl },
    data: { input },
  });
  expect(response.status()).toBe(202);
  return ((await response.json()) as { runId: string }).runId;
}

/** Polls the run until it reaches `status` (the worker runs it in the background). */
async function waitForRunStatus(page: Page, teamId: string, runId: string, status: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let seen = '';
  while (Date.now() < deadline) {
    const response = await page.request.get(stack.url(`/api/v1/teams/${teamId}/runs/${runId}`));
    seen = ((await response.json()) as { status: string }).status;
    if (seen === status) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`run ${runId} is ${seen}, not ${status}, after 60 s`);
}

describe('the status page', () => {
  let browser: BrowserSession;
  beforeAll(async () => {
    browser = await openBrowser();
  });
  afterAll(() => browser?.close());

  it('shows the api and its dependencies as up', async () => {
    const { page } = browser;
    await visit(page, '/status');
    await page.getByRole('heading', { name: /system status/i }).waitFor();
    for (const check of ['Database', 'Redis', 'Temporal']) await page.getByText(check, { exact: true }).waitFor();
    expect(await page.getByText('API unreachable').count()).toBe(0);
    await screenshot(page, 'status');
    expect(browser.pageErrors).toEqual([]);
  });

  it('serves pages under a nonce-based Content-Security-Policy that every inline script meets', async () => {
    const { page } = browser;
    const response = await page.goto(stack.url('/login'));
    const headers = response!.headers();
    const nonce = /'nonce-([^']+)'/.exec(headers['content-security-policy'] ?? '')?.[1];
    expect(nonce).toEqual(expect.any(String));
    expect(headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['referrer-policy']).toBe('same-origin');
    await page.getByRole('button', { name: /log in/i }).waitFor();
    // Browsers hide the attribute from the DOM but keep the value in .nonce; the theme script
    // (root.tsx) is allowed by its hash instead.
    const inline = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLScriptElement>('script:not([src])')].map((s) => ({ nonce: s.nonce, text: s.text.slice(0, 40) })),
    );
    expect(inline.length).toBeGreaterThan(1);
    expect(inline.filter((script) => script.nonce !== nonce && !script.text.startsWith('if(matchMedia'))).toEqual([]);
    expect(browser.pageErrors).toEqual([]);
  });

  it('serves pages and scripts compressed, and fingerprinted scripts as immutable', async () => {
    const { page } = browser;
    await visit(page, '/login');
    const script = await page.evaluate(() => document.querySelector<HTMLLinkElement>('link[rel="modulepreload"]')?.href);
    expect(script).toMatch(/\/assets\/.+\.js$/);
    const asset = await fetch(script!, { headers: { 'accept-encoding': 'gzip' } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-encoding')).toBe('gzip');
    expect(asset.headers.get('cache-control')).toContain('immutable');
    const html = await fetch(stack.url('/login'), { headers: { 'accept-encoding': 'gzip' } });
    expect(html.headers.get('content-encoding')).toBe('gzip');
    expect(await html.text()).toContain('Log in to Trellis');
  });
});

describe('signed-in pages', () => {
  const person = newPerson('pages');
  let browser: BrowserSession;
  let teamId: string;

  beforeAll(async () => {
    browser = await openBrowser();
    ({ teamId } = await signUpAndLogIn(browser.page, person));
  });
  afterAll(() => browser?.close());

  it('the runs list shows a run, linked to its run view', async () => {
    const { page } = browser;
    // A workflow made in the UI, started the way a script would: the API, with this session.
    await visit(page, `/t/${teamId}/workflows`);
    await page.getByRole('button', { name: 'New workflow' }).click();
    const create = page.getByRole('dialog', { name: 'New workflow' });
    await create.getByLabel('Name', { exact: true }).fill('Echo');
    await create.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL((url) => url.pathname.startsWith(`/t/${teamId}/workflows/`));
    const workflowId = decodeURIComponent(pathOf(page).split('/').pop()!);
    const runId = await startRun(page, teamId, workflowId, { hello: 'world' });
    await waitForRunStatus(page, teamId, runId, 'succeeded');

    await visit(page, `/t/${teamId}/runs`);
    await page.getByRole('heading', { name: 'Runs', level: 1 }).waitFor();
    await page.getByLabel('Workflow', { exact: true }).waitFor();
    await page.getByLabel('Status', { exact: true }).waitFor();
    const row = page.getByRole('row').filter({ hasText: 'Echo' });
    await row.filter({ hasText: 'succeeded' }).waitFor();
    const link = row.getByRole('link').first();
    expect(await link.getAttribute('href')).toBe(`/t/${teamId}/runs/${encodeURIComponent(runId)}`);
    await screenshot(page, 'runs');
    expect(browser.pageErrors).toEqual([]);
  });

  it('the account page lists the sign-ins in its login history', async () => {
    const { page } = browser;
    // A second sign-in, so the history has more than the first one.
    await logOut(page);
    await logIn(page, person);
    await visit(page, '/account');
    await page.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
    const history = page.locator('section').filter({ has: page.getByRole('heading', { name: 'Login history' }) });
    const signIns = history.getByRole('row').filter({ hasText: 'Password' }).filter({ hasText: 'Success' });
    await signIns.nth(1).waitFor(); // both sign-ins: the first after signing up, and this one
    // Recorded as this browser made them, newest first.
    expect(await signIns.first().innerText()).toMatch(/127\.0\.0\.1[\s\S]*Chrome/);
    await screenshot(page, 'account');
    expect(browser.pageErrors).toEqual([]);
  });
});
