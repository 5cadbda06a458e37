// @lane unit
// The SSRF guard's address classification, allow-list parsing and DNS handling (no network).
import { ApplicationFailure } from '@temporalio/common';
import { blockedReason, createSsrfGuard, formatIp, parseAllowlist, parseIp, parsePortPolicy, type LookupAll } from '../../activities/ssrf.ts';

async function refusal(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApplicationFailure);
    return error as ApplicationFailure;
  }
  throw new Error('expected a refusal');
}

const fakeDns =
  (table: Record<string, string[]>): LookupAll =>
  async (hostname) => {
    const addresses = table[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

describe('address classification', () => {
  it.each([
    ['127.0.0.1', /loopback/],
    ['127.255.0.9', /loopback/],
    ['::1', /loopback/],
    ['169.254.169.254', /metadata/],
    ['169.254.3.4', /link-local/],
    ['fe80::1', /link-local/],
    ['10.1.2.3', /private/],
    ['172.16.0.1', /private/],
    ['172.31.255.255', /private/],
    ['192.168.1.1', /private/],
    ['100.64.0.1', /carrier-grade NAT/],
    ['100.127.255.254', /carrier-grade NAT/],
    ['fc00::1', /unique-local/],
    ['fd12:3456::1', /unique-local/],
    ['0.0.0.0', /unspecified/],
    ['0.1.2.3', /unspecified/],
    ['::', /unspecified/],
    ['::ffff:127.0.0.1', /IPv4-mapped.*127\.0\.0\.1.*loopback/],
    ['::ffff:a9fe:a9fe', /IPv4-mapped.*169\.254\.169\.254.*metadata/],
    ['::ffff:10.0.0.1', /private/],
    ['64:ff9b::a00:1', /NAT64.*private/],
    ['2002:7f00:1::', /6to4.*loopback/],
    ['224.0.0.1', /multicast/],
    ['255.255.255.255', /reserved/],
    // IPv4-translated (::ffff:0:a.b.c.d) and the other IPv6 forms of an IPv4 address, in any notation
    ['::ffff:0:127.0.0.1', /IPv4-translated.*127\.0\.0\.1.*loopback/],
    ['::ffff:0:a9fe:a9fe', /IPv4-translated.*metadata/],
    ['0:0:0:0:0:ffff:0a00:0001', /IPv4-mapped.*10\.0\.0\.1.*private/],
    ['::ffff:7f00:1', /IPv4-mapped.*loopback/],
    ['64:ff9b::7f00:1', /NAT64.*127\.0\.0\.1.*loopback/],
    ['64:ff9b::a9fe:a9fe', /NAT64.*metadata/],
    ['2002:a9fe:a9fe::1', /6to4.*169\.254\.169\.254.*metadata/],
    ['2002:c0a8:0101::', /6to4.*192\.168\.1\.1.*private/],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', /Teredo/],
    ['2001::1', /Teredo/],
    ['100::1', /discard-only/],
    ['2001:db8::1', /documentation/],
    ['192.88.99.1', /6to4 relay/],
    ['168.63.129.16', /metadata/],
    ['100.100.100.200', /metadata/],
    ['fd00:ec2::254', /metadata/],
    ['::ffff:168.63.129.16', /IPv4-mapped.*metadata/],
  ])('refuses %s', (address, reason) => {
    expect(blockedReason(address)).toMatch(reason);
  });

  it.each(['8.8.8.8', '93.184.216.34', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808', '::ffff:0:8.8.8.8', '2001:4860:4860::8888', '2002:808:808::1', '168.63.129.17'])(
    'accepts public %s',
    (address) => {
      expect(blockedReason(address)).toBeUndefined();
    },
  );

  it('parses and formats IPv6 forms', () => {
    expect(formatIp(parseIp('::ffff:127.0.0.1')!)).toBe('::ffff:7f00:1');
    expect(formatIp(parseIp('[fe80::1%eth0]')!)).toBe('fe80::1');
    expect(formatIp(parseIp('0:0:0:0:0:0:0:1')!)).toBe('::1');
    expect(parseIp('example.com')).toBeUndefined();
    expect(parseIp('1.2.3')).toBeUndefined();
  });
});

describe('allow-list', () => {
  it('parses hostnames, wildcards, IPs and CIDRs', () => {
    const list = parseAllowlist(['localhost', '*.corp.example', '127.0.0.1', '10.0.0.0/8', 'fd00::/8', ' ', '[::1]']);
    expect([...list.hosts]).toEqual(['localhost']);
    expect(list.suffixes).toEqual(['.corp.example']);
    expect(list.ranges).toHaveLength(4);
  });

  it('rejects invalid entries with the entry named', () => {
    expect(() => parseAllowlist(['10.0.0.0/33'])).toThrow(/"10\.0\.0\.0\/33"/);
    expect(() => parseAllowlist(['http://x'])).toThrow(/"http:\/\/x"/);
    expect(() => parseAllowlist(['bad host'])).toThrow(/bad host/);
  });
});

describe('guard', () => {
  const dns = fakeDns({
    'public.example': ['93.184.216.34'],
    'internal.example': ['10.1.2.3'],
    'mixed.example': ['93.184.216.34', '10.1.2.3'],
    'metadata.example': ['169.254.169.254'],
    'dual.example': ['2606:4700::1', '93.184.216.34'],
    'svc.corp.example': ['10.9.9.9'],
  });

  it('returns the vetted address of a public host', async () => {
    const guard = createSsrfGuard({ allowlist: [], lookup: dns });
    await expect(guard.vet(new URL('https://public.example/x'))).resolves.toEqual({
      host: 'public.example',
      address: '93.184.216.34',
      family: 4,
      addresses: [{ address: '93.184.216.34', family: 4 }],
    });
    await expect(guard.vet(new URL('https://dual.example/'))).resolves.toMatchObject({
      address: '2606:4700::1',
      family: 6,
      addresses: [
        { address: '2606:4700::1', family: 6 },
        { address: '93.184.216.34', family: 4 },
      ],
    });
  });

  it('refuses a host when any of its addresses is internal, naming host, address and reason', async () => {
    const guard = createSsrfGuard({ allowlist: [], lookup: dns });
    const failure = await refusal(guard.vet(new URL('http://mixed.example/')));
    expect(failure.nonRetryable).toBe(true);
    expect(failure.type).toBe('HttpDestinationRefused');
    expect(failure.message).toMatch(/mixed\.example.*10\.1\.2\.3.*private/);
    expect((await refusal(guard.vet(new URL('http://metadata.example/')))).message).toMatch(/metadata/);
  });

  it('refuses IP literals in any notation the URL parser normalizes', async () => {
    const guard = createSsrfGuard({ allowlist: [], lookup: dns });
    for (const url of ['http://2130706433/', 'http://0x7f.1/', 'http://[::ffff:127.0.0.1]/', 'http://[::1]:8080/', 'http://0.0.0.0/', 'http://[::ffff:0:127.0.0.1]/', 'http://[64:ff9b::a9fe:a9fe]/', 'http://[2001::7f00:1]/', 'http://[100::1]/', 'http://168.63.129.16/']) {
      expect((await refusal(guard.vet(new URL(url)))).type).toBe('HttpDestinationRefused');
    }
  });

  it('refuses non-http schemes', async () => {
    const guard = createSsrfGuard({ allowlist: ['localhost'], lookup: dns });
    for (const url of ['file:///etc/passwd', 'ftp://public.example/', 'gopher://public.example/']) {
      const failure = await refusal(guard.vet(new URL(url)));
      expect(failure.nonRetryable).toBe(true);
      expect(failure.message).toMatch(/only http: and https:/);
    }
  });

  it('lets the allow-list permit hosts, suffixes, addresses and ranges', async () => {
    const guard = createSsrfGuard({ allowlist: ['internal.example', '*.corp.example', '169.254.169.254', '127.0.0.0/8'], lookup: dns });
    await expect(guard.vet(new URL('http://internal.example/'))).resolves.toMatchObject({ address: '10.1.2.3' });
    await expect(guard.vet(new URL('http://svc.corp.example/'))).resolves.toMatchObject({ address: '10.9.9.9' });
    await expect(guard.vet(new URL('http://metadata.example/'))).resolves.toMatchObject({ address: '169.254.169.254' });
    await expect(guard.vet(new URL('http://127.0.0.2:9999/'))).resolves.toMatchObject({ address: '127.0.0.2' });
    await expect(guard.vet(new URL('http://[::ffff:127.0.0.1]/'))).resolves.toMatchObject({ family: 6 });
    // still refused: not covered
    expect((await refusal(guard.vet(new URL('http://mixed.example/')))).message).toMatch(/10\.1\.2\.3/);
  });

  it('fails non-retryably for unknown hosts', async () => {
    const guard = createSsrfGuard({ allowlist: [], lookup: dns });
    const failure = await refusal(guard.vet(new URL('http://nowhere.example/')));
    expect(failure.type).toBe('HttpDnsError');
    expect(failure.nonRetryable).toBe(true);
  });

  it('resolves real names: localhost is refused', async () => {
    const guard = createSsrfGuard({ allowlist: [] });
    const failure = await refusal(guard.vet(new URL('http://localhost:8080/')));
    expect(failure.message).toMatch(/localhost.*loopback/);
  });
});

describe('cloud metadata names', () => {
  const dns = fakeDns({ 'metadata.google.internal': ['93.184.216.34'], 'metadata.goog': ['93.184.216.34'] });

  it('refuses metadata service names before DNS, whatever they resolve to', async () => {
    const guard = createSsrfGuard({ allowlist: [], lookup: dns });
    for (const url of ['http://metadata.google.internal/computeMetadata/v1/', 'http://METADATA.GOOGLE.INTERNAL./', 'http://metadata.goog/', 'http://metadata/']) {
      const failure = await refusal(guard.vet(new URL(url)));
      expect(failure.type).toBe('HttpDestinationRefused');
      expect(failure.message).toMatch(/cloud metadata service/);
    }
  });

  it('lets only an exact allow-list entry permit one (a wildcard does not)', async () => {
    expect((await refusal(createSsrfGuard({ allowlist: ['*.internal', '*.google.internal'], lookup: dns }).vet(new URL('http://metadata.google.internal/')))).message).toMatch(/metadata/);
    await expect(createSsrfGuard({ allowlist: ['metadata.google.internal'], lookup: dns }).vet(new URL('http://metadata.google.internal/'))).resolves.toMatchObject({ address: '93.184.216.34' });
  });
});

describe('port policy', () => {
  const dns = fakeDns({ 'public.example': ['93.184.216.34'] });

  it('allows 80, 443 and 1024-65535 by default and refuses other ports, allow-listed hosts included', async () => {
    const guard = createSsrfGuard({ allowlist: ['127.0.0.1'], lookup: dns });
    for (const url of ['http://public.example/', 'https://public.example/', 'http://public.example:443/', 'https://public.example:80/', 'http://public.example:1024/', 'https://public.example:8443/', 'http://public.example:65535/', 'http://127.0.0.1:45678/']) {
      await expect(guard.vet(new URL(url))).resolves.toMatchObject({ host: expect.any(String) });
    }
    for (const [url, port] of [['http://public.example:25/', 25], ['http://public.example:22/', 22], ['https://public.example:1023/', 1023], ['http://127.0.0.1:6/', 6]] as const) {
      const failure = await refusal(guard.vet(new URL(url)));
      expect(failure.nonRetryable).toBe(true);
      expect(failure.type).toBe('HttpDestinationRefused');
      expect(failure.message).toContain(`port ${port}`);
      expect(failure.message).toContain('TRELLIS_HTTP_PORTS');
    }
  });

  it('follows a configured list', async () => {
    const guard = createSsrfGuard({ allowlist: [], ports: '443, 8000-8099', lookup: dns });
    await expect(guard.vet(new URL('https://public.example/'))).resolves.toMatchObject({ address: '93.184.216.34' });
    await expect(guard.vet(new URL('http://public.example:8080/'))).resolves.toMatchObject({ address: '93.184.216.34' });
    expect((await refusal(guard.vet(new URL('http://public.example/')))).message).toContain('port 80');
    expect((await refusal(guard.vet(new URL('http://public.example:8100/')))).message).toContain('port 8100');
  });

  it('rejects an invalid list naming the entry', () => {
    expect(parsePortPolicy('80,443,1024-65535')).toEqual([[80, 80], [443, 443], [1024, 65535]]);
    expect(() => parsePortPolicy('80,http')).toThrow(/"http"/);
    expect(() => parsePortPolicy('0')).toThrow(/"0"/);
    expect(() => parsePortPolicy('2000-1000')).toThrow(/"2000-1000"/);
    expect(() => parsePortPolicy('70000')).toThrow(/"70000"/);
    expect(() => parsePortPolicy(' , ')).toThrow(/no port/);
    expect(() => createSsrfGuard({ allowlist: [], ports: '80-' })).toThrow(/TRELLIS_HTTP_PORTS/);
  });
});
