// The campaign's side-effect ledger: an HTTP server that counts every request by its
// Idempotency-Key header, so a call made twice for one node of one run shows as a count of 2.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Ledger {
  url: string;
  /** How many requests carried this key. */
  count(key: string): number;
  /** Requests without the header (a graph that lost its template would show here). */
  unkeyed(): number;
  total(): number;
  close(): Promise<void>;
}

export async function startLedger(): Promise<Ledger> {
  const counts = new Map<string, number>();
  let unkeyed = 0;
  let total = 0;
  const server: Server = createServer((req, res) => {
    // Counted on arrival: a call whose answer is lost still happened.
    total++;
    const key = req.headers['idempotency-key'];
    if (typeof key === 'string' && key) counts.set(key, (counts.get(key) ?? 0) + 1);
    else unkeyed++;
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ key, seen: typeof key === 'string' ? counts.get(key) : 0 }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    count: (key) => counts.get(key) ?? 0,
    unkeyed: () => unkeyed,
    total: () => total,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
