// A workflow's triggers page: a webhook whose secret shows once and whose copyable curl example
// really starts a run through the web app's origin, and a schedule listed with its next five fire
// times, paused and resumed. Then the same page in the dark theme.
import { execFileSync } from 'node:child_process';
import type { Page } from 'playwright-core';
import { newPerson, openBrowser, screenshot, signUpAndLogIn, stack, visit, type BrowserSession } from './support/index.ts';

let browser: BrowserSession;
let page: Page;

beforeAll(async () => {
  browser = await openBrowser({ viewport: { width: 1280, height: 900 } });
  page = browser.page;
});

afterAll(async () => {
  await browser?.close();
});

it('creates a webhook that the shown curl example signs correctly, and a schedule with its next fire times', async () => {
  const { teamId } = await signUpAndLogIn(page, newPerson('triggers'));
  await visit(page, `/t/${teamId}/workflows`);
  // Dialogs work from the keyboard: Enter opens, focus moves inside, Escape closes and focus returns.
  await page.getByRole('button', { name: 'New workflow' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('dialog', { name: 'New workflow' }).waitFor();
  expect(await page.evaluate(() => document.activeElement?.closest('dialog') !== null)).toBe(true);
  await page.keyboard.press('Escape');
  await page.getByRole('dialog', { name: 'New workflow' }).waitFor({ state: 'hidden' });
  expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('New workflow');
  await page.getByRole('button', { name: 'New workflow' }).click();
  await page.getByRole('dialog').getByLabel('Name').fill('Inbound');
  await page.getByRole('dialog').getByRole('button', { name: 'Create' }).click();
  await page.waitForURL((url) => /\/workflows\/[^/]+$/.test(url.pathname));
  await page.getByRole('link', { name: 'Triggers' }).click();
  await page.waitForURL((url) => url.pathname.endsWith('/triggers'));

  // Webhook: URL, secret once, and a curl example.
  await page.getByRole('button', { name: 'New webhook' }).click();
  const created = page.getByRole('dialog', { name: 'Webhook created' });
  const secret = (await created.getByTestId('secret-value').textContent())!;
  expect(secret.length).toBeGreaterThan(20);
  const snippet = (await created.locator('pre code').textContent())!;
  expect(snippet).toContain(stack.webUrl);
  await screenshot(page, 'webhook-created');

  // Run the example exactly as shown: the API accepts the signature and starts a run.
  const answer = execFileSync('bash', ['-c', snippet], { encoding: 'utf8', timeout: 30_000 });
  expect(answer).toMatch(/"runId":"run_[^"]+"/);
  expect(answer.trim().split('\n').at(-1)).toBe('202');
  await created.getByRole('button', { name: 'Done' }).click();
  await page.reload();
  expect(await page.content()).not.toContain(secret);

  // The run it started is listed with its trigger.
  await visit(page, `/t/${teamId}/runs`);
  await page.getByRole('cell', { name: 'webhook' }).first().waitFor();

  // Schedule: every 5 minutes, listed with five upcoming times; pause and resume.
  await page.goBack();
  await page.waitForURL((url) => url.pathname.endsWith('/triggers'));
  await page.getByLabel('Cron').fill('*/5 * * * *');
  await page.getByRole('button', { name: 'Create schedule' }).click();
  const upcoming = page.getByRole('list', { name: 'Next runs of */5 * * * *' });
  await upcoming.waitFor();
  expect(await upcoming.getByRole('listitem').count()).toBe(5);
  await page.getByRole('button', { name: 'Pause' }).click();
  await page.getByRole('button', { name: 'Resume' }).waitFor();
  await page.getByRole('button', { name: 'Resume' }).click();
  await page.getByRole('button', { name: 'Pause' }).waitFor();
  // A bad cron expression is refused next to its field.
  await page.getByLabel('Cron').fill('every tuesday');
  await page.getByRole('button', { name: 'Create schedule' }).click();
  await page.getByRole('alert').first().waitFor();
  await screenshot(page, 'triggers');

  // Dark mode, remembered by cookie and rendered by the server.
  await page.getByLabel('Theme').selectOption('dark');
  await page.waitForFunction(() => document.documentElement.classList.contains('dark'));
  await page.reload();
  expect(await page.evaluate(() => document.documentElement.classList.contains('dark'))).toBe(true);
  await screenshot(page, 'triggers-dark');
  expect(browser.pageErrors).toEqual([]);
});
