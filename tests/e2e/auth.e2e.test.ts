// Accounts in the browser: sign up, confirm the email from the verification email, log in (to the
// dashboard), a wrong password, log out, and a forgotten password reset through its email.
import {
  DASHBOARD_PATH,
  confirmEmail,
  logIn,
  logOut,
  newPerson,
  openBrowser,
  pathOf,
  register,
  screenshot,
  smtp,
  stack,
  teamIdOf,
  visit,
  type BrowserSession,
} from './support/index.ts';
import type { Page } from 'playwright-core';

/** Submits the login form with these credentials, expecting to stay on /login with an error. */
async function refusedLogIn(page: Page, email: string, password: string, error: RegExp): Promise<void> {
  await visit(page, '/login');
  await page.getByLabel('Email', { exact: true }).fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('alert').filter({ hasText: error }).waitFor();
  expect(pathOf(page)).toBe('/login');
}

describe('accounts in the browser', () => {
  const person = newPerson('auth');
  let browser: BrowserSession;
  let teamId: string;

  beforeAll(async () => {
    browser = await openBrowser();
  });
  afterAll(() => browser?.close());

  it('signs up, confirms the email through its link, logs in and lands on the dashboard', async () => {
    const { page } = browser;
    await register(page, person);
    // Before the email is confirmed, logging in is refused with a pointer to the email.
    await visit(page, '/login');
    await page.getByLabel('Email', { exact: true }).fill(person.email);
    await page.getByLabel('Password', { exact: true }).fill(person.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByText(/confirm your email address first/i).waitFor();

    await confirmEmail(page, person.email);
    await page.getByRole('link', { name: 'Log in' }).click();
    await page.waitForURL((url) => url.pathname === '/login');
    await logIn(page, person);
    expect(pathOf(page)).toMatch(DASHBOARD_PATH);
    teamId = teamIdOf(page);
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    await page.getByText(`${person.name} · ${person.email}`).waitFor(); // the signed-in layout names the person
    await screenshot(page, 'dashboard');
    expect(browser.pageErrors).toEqual([]);
  });

  it('logging out returns to the login page and ends the session', async () => {
    const { page } = browser;
    await logOut(page);
    expect(pathOf(page)).toBe('/login');
    await page.goto(stack.url(`/t/${teamId}`));
    await page.waitForURL((url) => url.pathname === '/login');
  });

  it('a wrong password shows an error on the login page', async () => {
    const { page } = browser;
    await refusedLogIn(page, person.email, `${person.password} but wrong`, /the email or the password is wrong/i);
    // What was typed stays, so the person only retypes the password.
    expect(await page.getByLabel('Email', { exact: true }).inputValue()).toBe(person.email);
    await screenshot(page, 'login-error');
    expect(browser.pageErrors).toEqual([]);
  });

  it('a forgotten password is reset through the emailed link, and the new one logs in', async () => {
    const { page } = browser;
    await visit(page, '/login');
    await page.getByRole('link', { name: 'Forgot password?' }).click();
    await page.waitForURL((url) => url.pathname === '/forgot-password');
    await page.getByLabel('Email', { exact: true }).fill(person.email);
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();

    const link = await smtp.linkFor(person.email, '/reset-password', { subject: /reset your trellis password/i });
    await page.goto(link.toString());
    const newPassword = `${person.password} renewed`;
    await page.getByLabel('New password', { exact: true }).fill(newPassword);
    await page.getByRole('button', { name: 'Set new password' }).click();
    await page.getByRole('heading', { name: 'Password changed' }).waitFor();

    await refusedLogIn(page, person.email, person.password, /the email or the password is wrong/i);
    await logIn(page, { email: person.email, password: newPassword });
    expect(teamIdOf(page)).toBe(teamId);
    expect(browser.pageErrors).toEqual([]);
  });
});
