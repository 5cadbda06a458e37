// @lane unit
// After sign-in (and the theme switch) people go back to `next`: a path on this site, never another
// one. Node's URL parser is the WHATWG one browsers use (tabs and newlines dropped, "\" read as
// "/"), so "where would a browser go" is checked by resolving the answer against the site.
import { safeNext } from '../../contract/safe-next.ts';

const SITE = 'https://trellis.example';

const HOSTILE = [
  '/%09/evil.example',
  '/\t/evil.example',
  '/\n/evil.example',
  '/\r\n/evil.example',
  '\t//evil.example',
  ' //evil.example',
  '//evil',
  '///evil',
  '/\\evil',
  '\\/\\/evil',
  '\\\\evil',
  '/%2F%2Fevil',
  '/%2f/evil',
  '/%5Cevil',
  '/%5C%5Cevil',
  '/.//evil',
  '/..//evil',
  'https:evil.example',
  'https://evil.example/',
  'HTTPS://evil.example',
  'javascript:alert(1)',
  'JaVaScRiPt:alert(1)',
  '/javascript:alert(1)//%0a',
  'data:text/html,<script>alert(1)</script>',
  '\u2028//evil',
  '/\u2028/evil',
  '/\u0000/evil',
  '/\u007f/evil',
  '／／evil.example',
  '/%E2%80%A8/evil',
  '/%zz',
  'evil.example',
  '',
  `/${'a'.repeat(3_000)}`,
];

describe('safeNext', () => {
  it.each(HOSTILE)('never leaves the site for %j', (value) => {
    const next = safeNext(value);
    expect(next.startsWith('/')).toBe(true);
    expect(new URL(next, SITE).origin).toBe(SITE);
    // What a browser makes of the Location header: tabs and newlines are dropped, "\" is "/".
    expect(new URL(`${SITE}${next}`).origin).toBe(SITE);
  });

  it('falls back to "/" (or the given fallback) for every hostile value', () => {
    const kept = HOSTILE.filter((value) => safeNext(value) !== '/');
    expect(kept).toEqual([]);
    expect(safeNext('//evil', '/login')).toBe('/login');
    expect(safeNext(undefined)).toBe('/');
    expect(safeNext(null)).toBe('/');
    expect(safeNext(['/a'])).toBe('/');
  });

  it('keeps paths on the site with their query and fragment, normalised', () => {
    expect(safeNext('/invitations/inv_token?x=1')).toBe('/invitations/inv_token?x=1');
    expect(safeNext('/teams/t_1/runs/run_2#node-done')).toBe('/teams/t_1/runs/run_2#node-done');
    expect(safeNext('/teams/t_1/runs?status=failed&workflow=wf_1')).toBe('/teams/t_1/runs?status=failed&workflow=wf_1');
    expect(safeNext('/a/./b/../c')).toBe('/a/c');
    // An encoded slash stays encoded: a path segment here, not an authority.
    expect(safeNext('/./%2F/evil')).toBe('/%2F/evil');
    // Non-ASCII travels percent-encoded, so a Location header carries ASCII only.
    expect(safeNext('/über?q=é')).toBe('/%C3%BCber?q=%C3%A9');
    expect(safeNext('/')).toBe('/');
  });
});

describe('POST /theme', () => {
  it('goes back only to a path on the site', async () => {
    const { action } = await import('../../web/app/routes/theme.tsx');
    const post = async (redirectTo: string) => {
      const request = new Request(`${SITE}/theme`, { method: 'POST', body: new URLSearchParams({ theme: 'dark', redirectTo }) });
      return (await action({ request, params: {}, context: {} } as never)) as Response;
    };
    expect((await post('/teams/t_1?x=1')).headers.get('location')).toBe('/teams/t_1?x=1');
    for (const hostile of ['/\\evil.example', '/%09/evil.example', '/\t/evil.example', '//evil.example']) {
      const res = await post(hostile);
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe('/');
    }
  });
});
