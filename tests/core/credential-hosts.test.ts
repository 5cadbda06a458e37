// @lane unit
// Host patterns of credentials (core/credentials/hosts.ts): what they accept and what they match.
import { hostAllowedFor, parseAllowedHosts, parseHostPattern } from '../../core/credentials/hosts.ts';

const allowed = (patterns: string[], url: string) => hostAllowedFor(patterns, new URL(url));

describe('credential host patterns', () => {
  it.each([
    ['api.example.com', 'api.example.com'],
    [' API.Example.COM. ', 'api.example.com'],
    ['*.Example.com', '*.example.com'],
    ['localhost', 'localhost'],
    ['127.0.0.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['::1', '[::1]'],
    ['[2001:DB8::1]', '[2001:db8::1]'],
    ['münchen.example', 'xn--mnchen-3ya.example'],
  ])('accepts %j as %j', (raw, pattern) => {
    expect(parseHostPattern(raw)).toEqual({ pattern });
  });

  it.each(['', '*', '*.com', '*.*.example.com', 'api.*.example.com', 'https://api.example.com', 'api.example.com/v1', 'api.example.com:443', 'user@api.example.com', 'a b.example', '*.127.0.0.1', '*.[::1]'])(
    'refuses %j',
    (raw) => {
      expect(parseHostPattern(raw)).toHaveProperty('error');
    },
  );

  it('names each bad entry and drops duplicates', () => {
    expect(parseAllowedHosts(['a.example', 'A.example', 'bad host', '*'])).toEqual({
      patterns: ['a.example'],
      problems: [
        { path: 'allowedHosts.2', message: expect.stringContaining('bad host') },
        { path: 'allowedHosts.3', message: expect.stringContaining('"*"') },
      ],
    });
    expect(parseAllowedHosts(Array.from({ length: 51 }, (_, i) => `h${i}.example`)).problems[0]).toMatchObject({ path: 'allowedHosts' });
  });

  it('matches exact hosts, and subdomains (not the apex) for wildcards', () => {
    expect(allowed(['api.example.com'], 'https://api.example.com/v1?x=1')).toBe(true);
    expect(allowed(['api.example.com'], 'https://API.EXAMPLE.COM./')).toBe(true);
    expect(allowed(['api.example.com'], 'https://api.example.com:8443/')).toBe(true);
    expect(allowed(['api.example.com'], 'https://example.com/')).toBe(false);
    expect(allowed(['api.example.com'], 'https://api.example.com.attacker.example/')).toBe(false);
    expect(allowed(['*.example.com'], 'https://a.b.example.com/')).toBe(true);
    expect(allowed(['*.example.com'], 'https://example.com/')).toBe(false);
    expect(allowed(['*.example.com'], 'https://badexample.com/')).toBe(false);
    expect(allowed(['127.0.0.1'], 'http://0x7f.1:8080/')).toBe(true);
    expect(allowed(['[::1]'], 'http://[0:0::1]/')).toBe(true);
    expect(allowed([], 'https://api.example.com/')).toBe(false);
    expect(hostAllowedFor(null, new URL('https://api.example.com/'))).toBe(false);
  });
});
