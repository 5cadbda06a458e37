// Team settings in the browser: an owner creates an API key (shown once) and a credential (whose
// secret never comes back to the page), invites a second person as viewer by email, and that
// viewer, in a browser of their own, accepts and sees the team without any editing controls.
import {
  newPerson,
  openBrowser,
  screenshot,
  signUpAndLogIn,
  smtp,
  stack,
  teamIdOf,
  visit,
  type BrowserSession,
} from './support/index.ts';

describe('team settings in the browser', () => {
  const owner = newPerson('owner');
  const viewer = newPerson('viewer');
  const workflowName = 'Weekly digest';
  let ownerBrowser: BrowserSession;
  let viewerBrowser: BrowserSession | undefined;
  let teamId: string;

  beforeAll(async () => {
    ownerBrowser = await openBrowser();
    ({ teamId } = await signUpAndLogIn(ownerBrowser.page, owner));
  });
  afterAll(async () => {
    await viewerBrowser?.close();
    await ownerBrowser?.close();
  });

  it('an owner creates an API key, which is shown once and listed with its expiry', async () => {
    const { page } = ownerBrowser;
    await visit(page, `/t/${teamId}/settings/api-keys`);
    await page.getByRole('button', { name: 'New API key' }).click();
    const dialog = page.getByRole('dialog', { name: 'New API key' });
    await dialog.getByLabel('Name', { exact: true }).fill('CI deploys');
    await dialog.getByRole('checkbox', { name: 'workflows:read' }).check();
    await dialog.getByRole('checkbox', { name: 'runs:write' }).check();
    await dialog.getByLabel('Expires after').selectOption('30');
    const expiresOn = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    await dialog.getByRole('button', { name: 'Create key' }).click();

    const secret = dialog.getByTestId('secret-value');
    await secret.waitFor();
    const key = (await secret.innerText()).trim();
    expect(key).toMatch(/^trk_\S{20,}$/);
    await screenshot(page, 'api-keys');

    // The key works against the API as this team …
    const listed = await fetch(stack.url(`/api/v1/teams/${teamId}/workflows`), { headers: { authorization: `Bearer ${key}` } });
    expect(listed.status).toBe(200);
    // … and once the dialog is closed the page never shows it again: only its prefix is listed.
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.reload();
    const row = page.getByRole('row').filter({ hasText: 'CI deploys' });
    await row.waitFor();
    const listedRow = await row.innerText();
    expect(listedRow).toContain('workflows:read');
    expect(listedRow).toContain('runs:write');
    expect(listedRow).toContain(key.slice(0, 8)); // its visible prefix
    // When it stops working (either date, should the day turn during the test).
    const expiresLate = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    expect([expiresOn, expiresLate].some((day) => listedRow.includes(day))).toBe(true);
    expect(await page.content()).not.toContain(key);
    expect(ownerBrowser.pageErrors).toEqual([]);
  });

  it("a credential's secret never appears in the page once saved", async () => {
    const { page } = ownerBrowser;
    const token = `e2e-bearer-${Math.random().toString(36).slice(2)}-do-not-show`;
    await visit(page, `/t/${teamId}/settings/credentials`);
    await page.getByRole('button', { name: 'New credential' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name', { exact: true }).fill('Deploy hook token');
    await dialog.getByLabel('Type', { exact: true }).selectOption('http_bearer');
    await dialog.getByLabel(/token/i).fill(token);
    await dialog.getByLabel('Allowed hosts', { exact: true }).fill('deploy.example.com, *.hooks.example.com');
    await dialog.getByRole('button', { name: 'Save credential' }).click();

    const row = page.getByRole('row').filter({ hasText: 'Deploy hook token' });
    await row.waitFor();
    // Where the secret may go is shown, and an owner may change it.
    expect(await row.textContent()).toContain('deploy.example.com, *.hooks.example.com');
    await row.getByRole('button', { name: 'Edit allowed hosts of Deploy hook token' }).click();
    const hosts = page.getByRole('dialog');
    await hosts.getByLabel('Allowed hosts', { exact: true }).fill('deploy.example.com');
    await hosts.getByRole('button', { name: 'Save hosts' }).click();
    await row.filter({ hasNotText: 'hooks.example.com' }).waitFor();
    expect(await page.content()).not.toContain(token);
    await page.reload();
    await row.waitFor();
    expect(await page.content()).not.toContain(token);
    await screenshot(page, 'credentials');
    expect(ownerBrowser.pageErrors).toEqual([]);
  });

  it('an invited viewer joins by the emailed link and sees no editing controls', async () => {
    const { page } = ownerBrowser;
    // Something on the workflows page, so the viewer has a row without row actions.
    await visit(page, `/t/${teamId}/workflows`);
    await page.getByRole('button', { name: 'New workflow' }).click();
    const create = page.getByRole('dialog', { name: 'New workflow' });
    await create.getByLabel('Name', { exact: true }).fill(workflowName);
    await create.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL((url) => url.pathname.startsWith(`/t/${teamId}/workflows/`));

    await visit(page, `/t/${teamId}/settings/members`);
    await page.getByLabel('Email', { exact: true }).fill(viewer.email);
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await page.getByRole('row').filter({ hasText: viewer.email }).waitFor(); // listed as pending
    const invitation = await smtp.linkFor(viewer.email, '/invitations/', { subject: /invited you/i });

    // The viewer opens the link without an account: log in first, then back to the invitation.
    viewerBrowser = await openBrowser();
    const viewerPage = viewerBrowser.page;
    await viewerPage.goto(invitation.toString());
    await viewerPage.waitForURL((url) => url.pathname === '/login' && url.searchParams.get('next') === invitation.pathname);
    await signUpAndLogIn(viewerPage, viewer);
    await viewerPage.goto(invitation.toString());
    await viewerPage.getByRole('heading', { name: 'Join a team' }).waitFor();
    await viewerPage.getByRole('button', { name: 'Accept invitation' }).click();
    await viewerPage.waitForURL((url) => url.pathname.replace(/\/$/, '') === `/t/${teamId}`);
    expect(teamIdOf(viewerPage)).toBe(teamId);

    // The owner sees the viewer as a member now.
    await page.reload();
    await page.getByLabel(`Role for ${viewer.email}`).waitFor();
    expect(await page.getByLabel(`Role for ${viewer.email}`).inputValue()).toBe('viewer');
    await page.getByRole('button', { name: `Remove ${viewer.email}` }).waitFor();
    await screenshot(page, 'members');

    // Members: the list, but no invitation form, role selects or remove buttons.
    await visit(viewerPage, `/t/${teamId}/settings/members`);
    await viewerPage.getByRole('heading', { name: 'Members', level: 1 }).waitFor();
    await viewerPage.getByRole('row').filter({ hasText: owner.email }).waitFor();
    expect(await viewerPage.getByRole('button', { name: 'Send invitation' }).count()).toBe(0);
    expect(await viewerPage.getByRole('combobox', { name: /^Role for / }).count()).toBe(0);
    expect(await viewerPage.getByRole('button', { name: /^Remove / }).count()).toBe(0);

    // Workflows: the owner's workflow, but no "New workflow" and no row actions.
    await visit(viewerPage, `/t/${teamId}/workflows`);
    await viewerPage.getByRole('heading', { name: 'Workflows', level: 1 }).waitFor();
    await viewerPage.getByRole('link', { name: workflowName }).waitFor();
    expect(await viewerPage.getByRole('button', { name: 'New workflow' }).count()).toBe(0);
    expect(await viewerPage.getByRole('button', { name: 'Duplicate' }).count()).toBe(0);
    expect(await viewerPage.getByRole('button', { name: 'Delete' }).count()).toBe(0);
    await screenshot(viewerPage, 'workflows-viewer');

    // The designer opens read-only: the graph, but no palette, save, undo, test run or delete.
    await viewerPage.getByRole('link', { name: workflowName }).click();
    await viewerPage.getByTestId('canvas').locator('.react-flow__node').first().waitFor();
    await viewerPage.getByText('You can view this workflow; editing needs the editor role.').waitFor();
    for (const name of ['Save', 'Undo', 'Auto-layout', 'Test run']) expect(await viewerPage.getByRole('button', { name, exact: true }).count()).toBe(0);
    expect(await viewerPage.getByRole('navigation', { name: 'Node palette' }).count()).toBe(0);
    await viewerPage.getByTestId('canvas').locator('.react-flow__node').first().click();
    expect(await viewerPage.getByRole('button', { name: 'Delete node' }).count()).toBe(0);
    expect(await viewerPage.getByLabel('Node id').isDisabled()).toBe(true);
    await screenshot(viewerPage, 'designer-viewer');

    // Credentials: a viewer may not even read their names (the API needs an editor), nor add one;
    // API keys are not offered at all.
    await visit(viewerPage, `/t/${teamId}/settings/credentials`);
    await viewerPage.getByRole('heading', { name: 'Credentials', level: 1 }).waitFor();
    expect(await viewerPage.getByRole('button', { name: 'New credential' }).count()).toBe(0);
    expect(await viewerPage.getByText('Deploy hook token').count()).toBe(0);
    expect(await viewerPage.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' }).count()).toBe(0);
    expect(viewerBrowser.pageErrors).toEqual([]);
  });

  it('the dashboard fits a phone', async () => {
    const { page } = ownerBrowser;
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await visit(page, `/t/${teamId}`);
      await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
      // Nothing wider than the screen: no sideways scrolling of the whole page.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      await screenshot(page, 'dashboard-phone');
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });
});
