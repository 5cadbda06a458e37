// Notifications in the browser, against the stack as `npm start` runs it: an owner adds a signed
// webhook channel pointing at a receiver in this test process (loopback is allow-listed for the
// stack, as an operator would), sees its secret once, sends a test and reads the delivery log;
// then a run that fails reaches the receiver within seconds, signed with that secret.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { verifySignature } from '../../core/webhooks/service.ts';
import { newPerson, openBrowser, screenshot, signUpAndLogIn, stack, visit, type BrowserSession } from './support/index.ts';

interface Received { headers: IncomingMessage['headers']; body: string; at: number }

async function until<T>(what: string, read: () => T | undefined | Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Calls the API with the browser's session (cookie writes must name the origin). */
async function apiPost(page: Page, path: string, data: unknown): Promise<Record<string, unknown>> {
  const response = await page.request.post(stack.url(path), { headers: { origin: stack.webUrl }, data });
  expect(response.status()).toBeLessThan(300);
  return (await response.json()) as Record<string, unknown>;
}

describe('notifications in the browser', () => {
  const owner = newPerson('notify');
  let browser: BrowserSession;
  let teamId: string;
  let server: Server;
  let receiverUrl: string;
  const received: Received[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        // /down is what the failing workflow calls; everything else is a notification.
        if (req.url === '/down') return void res.writeHead(500).end('down');
        received.push({ headers: req.headers, body, at: Date.now() });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/trellis`;
    browser = await openBrowser();
    ({ teamId } = await signUpAndLogIn(browser.page, owner));
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
  });

  it('adds a signed webhook channel, sends a test, and a failing run arrives signed within seconds', async () => {
    const { page } = browser;
    await visit(page, `/t/${teamId}/settings/notifications`);
    await page.getByRole('button', { name: 'New channel' }).click();
    const dialog = page.getByRole('dialog', { name: 'New notification channel' });
    await dialog.getByLabel('Name', { exact: true }).fill('On-call hook');
    await dialog.getByLabel('Type', { exact: true }).selectOption('webhook');
    await dialog.getByLabel('Receiver URL').fill(receiverUrl);
    await dialog.getByRole('checkbox', { name: /run\.failed/ }).check();
    await dialog.getByRole('button', { name: 'Add channel' }).click();
    const secretBox = dialog.getByTestId('secret-value');
    await secretBox.waitFor();
    const secret = (await secretBox.innerText()).trim();
    expect(secret).toMatch(/^whsec_/);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'hidden' });

    // The test notification, and its line in the delivery log.
    await page.getByRole('button', { name: 'Send a test to On-call hook' }).click();
    const test = await until('the test notification', () => received.find((r) => r.headers['x-trellis-event'] === 'test'));
    expect(() => verifySignature(secret, test.headers['x-trellis-signature'] as string, Buffer.from(test.body))).not.toThrow();
    await page.getByRole('link', { name: 'Deliveries of On-call hook' }).click();
    await page.getByRole('cell', { name: 'sent' }).waitFor();
    await screenshot(page, 'notifications');
    expect(await page.content()).not.toContain(secret);

    // A run that fails: its notification arrives signed, with a link to the run.
    const workflow = await apiPost(page, `/api/v1/teams/${teamId}/workflows`, {
      name: 'Always fails',
      graph: { nodes: [{ id: 'call', type: 'http', retry: { maxAttempts: 1 }, config: { url: receiverUrl.replace('/trellis', '/down') } }] },
    });
    const started = Date.now();
    const run = await apiPost(page, `/api/v1/teams/${teamId}/workflows/${String(workflow.id)}/runs`, { input: {} });
    const failed = await until('run.failed', () => received.find((r) => r.headers['x-trellis-event'] === 'run.failed'));
    expect(() => verifySignature(secret, failed.headers['x-trellis-signature'] as string, Buffer.from(failed.body))).not.toThrow();
    expect(JSON.parse(failed.body)).toMatchObject({ event: 'run.failed', runId: run.runId, url: stack.url(`/t/${teamId}/runs/${String(run.runId)}`) });
    // "Within seconds" of the start, on a loaded machine too.
    expect(failed.at - started).toBeLessThan(15_000);
    expect(browser.pageErrors).toEqual([]);
  });
});
