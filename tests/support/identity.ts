// Helpers for tests of accounts and teams over HTTP: a client with its own IP address (so the
// per-IP limits of one test do not meet another's) and an optional bearer token, and a complete
// sign-up (register → verification email → verify → login).
import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { conforms, contractChecksEnabled } from './contract.ts';
import type { TestSmtp } from './smtp.ts';

export function randomIp(): string {
  const [a, b, c] = randomBytes(3);
  return `10.${a}.${b}.${(c ?? 1) % 254 + 1}`;
}

export function uniqueEmail(label = 'user'): string {
  return `${label}-${randomBytes(4).toString('hex')}@Example.test`;
}

export const GOOD_PASSWORD = 'plum-orbit-cactus-7';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export class Client {
  readonly app: Express;
  readonly ip: string;
  token: string | undefined;
  constructor(app: Express, options: { ip?: string; token?: string } = {}) {
    this.app = app;
    this.ip = options.ip ?? randomIp();
    this.token = options.token;
  }
  request(method: Method, path: string): request.Test {
    const test = request(this.app)[method](path).set('X-Forwarded-For', this.ip);
    // Suites that opted in (checkAnswersAgainstContract) fail on any answer the contract does not describe.
    if (contractChecksEnabled()) void test.expect(conforms(method, path));
    return this.token ? test.set('Authorization', `Bearer ${this.token}`) : test;
  }
  get(path: string) {
    return this.request('get', path);
  }
  post(path: string, body?: object) {
    const test = this.request('post', path);
    return body ? test.send(body) : test;
  }
  patch(path: string, body?: object) {
    const test = this.request('patch', path);
    return body ? test.send(body) : test;
  }
  delete(path: string) {
    return this.request('delete', path);
  }
  withToken(token: string | undefined): Client {
    return new Client(this.app, { ip: this.ip, ...(token ? { token } : {}) });
  }
}

export interface SignedUp {
  client: Client;
  user: { id: string; email: string; name: string };
  email: string;
  password: string;
  token: string;
  personalTeamId: string;
}

/** Registers, verifies through the emailed link and signs in; the client carries the token. */
export async function signUp(app: Express, smtp: TestSmtp, options: { email?: string; name?: string; password?: string } = {}): Promise<SignedUp> {
  const email = options.email ?? uniqueEmail();
  const password = options.password ?? GOOD_PASSWORD;
  const client = new Client(app);
  const registered = await client.post('/api/v1/auth/register', { email, password, name: options.name ?? 'Test User' });
  if (registered.status !== 202) throw new Error(`register: ${registered.status} ${JSON.stringify(registered.body)}`);
  const link = await smtp.linkFor(email, '/verify-email');
  const verified = await client.post('/api/v1/auth/verify-email', { token: link.searchParams.get('token') });
  if (verified.status !== 200) throw new Error(`verify: ${verified.status} ${JSON.stringify(verified.body)}`);
  const login = await client.post('/api/v1/auth/login', { email, password });
  if (login.status !== 200) throw new Error(`login: ${login.status} ${JSON.stringify(login.body)}`);
  const token = login.body.token as string;
  const signed = client.withToken(token);
  const me = await signed.get('/api/v1/me');
  const personal = (me.body.teams as { id: string; personal: boolean }[]).find((t) => t.personal);
  if (!personal) throw new Error('no personal team');
  return { client: signed, user: login.body.user, email: email.toLowerCase(), password, token, personalTeamId: personal.id };
}

/** The value of a Set-Cookie cookie in a response, or undefined. */
export function cookieFrom(res: { headers: Record<string, unknown> }, name: string): { value: string; attributes: string } | undefined {
  const header = res.headers['set-cookie'];
  const cookies = Array.isArray(header) ? (header as string[]) : typeof header === 'string' ? [header] : [];
  for (const cookie of cookies) {
    const [pair = '', ...attributes] = cookie.split(';');
    const eq = pair.indexOf('=');
    if (pair.slice(0, eq).trim() === name) return { value: decodeURIComponent(pair.slice(eq + 1)), attributes: attributes.join(';').trim() };
  }
  return undefined;
}
