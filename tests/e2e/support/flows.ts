// What people do in the browser, through the UI only, found by role and label (the labels
// contract of the web app): sign up, confirm the email, log in, log out.
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { pathOf, visit } from './browser.ts';
import { smtp } from './stack.ts';

export interface Person {
  name: string;
  email: string;
  password: string;
}

/** Someone new: a unique email address (the run's database is shared by the files). */
export function newPerson(label: string): Person {
  const id = randomBytes(4).toString('hex');
  return {
    name: `${label[0]!.toUpperCase()}${label.slice(1)} Tester`,
    email: `${label}-${id}@example.com`,
    password: `e2e correct horse ${id}`,
  };
}

/** A team's dashboard: /t/<teamId>. */
export const DASHBOARD_PATH = /^\/t\/[^/]+\/?$/;

/** The team id in a /t/<teamId>/… URL. */
export function teamIdOf(page: Page): string {
  const match = /^\/t\/([^/]+)/.exec(pathOf(page));
  if (!match) throw new Error(`not on a team page: ${page.url()}`);
  return decodeURIComponent(match[1]!);
}

/** Fills the register page and waits for the answer (the verification email is on its way). */
export async function register(page: Page, person: Person): Promise<void> {
  await visit(page, '/register');
  await page.getByLabel('Name', { exact: true }).fill(person.name);
  await page.getByLabel('Email', { exact: true }).fill(person.email);
  await page.getByLabel('Password', { exact: true }).fill(person.password);
  await page.getByRole('button', { name: 'Sign up' }).click();
  // The form gives way to a note to check the inbox.
  await page.getByRole('heading', { name: 'Check your email' }).waitFor();
}

/** Opens the link of the verification email sent to `email`; the page confirms it by itself. */
export async function confirmEmail(page: Page, email: string): Promise<void> {
  const link = await smtp.linkFor(email, '/verify-email', { subject: /confirm your email/i });
  await page.goto(link.toString());
  await page.getByRole('heading', { name: 'Email verified' }).waitFor();
}

/** Logs in on the login page; `expectPath` is where a successful log-in lands (the dashboard). */
export async function logIn(page: Page, credentials: { email: string; password: string }, options: { expectPath?: RegExp } = {}): Promise<void> {
  if (pathOf(page) !== '/login') await visit(page, '/login');
  await page.getByLabel('Email', { exact: true }).fill(credentials.email);
  await page.getByLabel('Password', { exact: true }).fill(credentials.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL((url) => (options.expectPath ?? DASHBOARD_PATH).test(url.pathname));
}

/**
 * A new account made through the UI: the register page, the verification email read from the
 * SMTP server, its link opened, then the login page. Ends on the person's dashboard and returns
 * their personal team's id.
 */
export async function signUpAndLogIn(page: Page, person: Person): Promise<{ teamId: string }> {
  await register(page, person);
  await confirmEmail(page, person.email);
  await logIn(page, person);
  return { teamId: teamIdOf(page) };
}

/** The "Log out" button of the signed-in layout; waits for the login page. */
export async function logOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL((url) => url.pathname === '/login');
}

/** A port of a node on the designer's canvas ("in" is its input). */
export function portOf(page: Page, nodeId: string, handleId: string) {
  return page.locator(`.react-flow__handle[data-nodeid="${nodeId}"][data-handleid="${handleId}"]`);
}

/** Draws an edge with the mouse from a node's output port to another node's input. */
export async function connectNodes(page: Page, from: string, port: string, to: string): Promise<void> {
  const source = (await portOf(page, from, port).boundingBox())!;
  const target = (await portOf(page, to, 'in').boundingBox())!;
  await page.mouse.move(source.x + source.width / 2, source.y + source.height / 2);
  await page.mouse.down();
  await page.mouse.move(target.x + target.width / 2, target.y + target.height / 2, { steps: 12 });
  await page.mouse.up();
}
