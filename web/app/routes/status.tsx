// The start page: is the API up, and are its dependencies (database, Redis, Temporal) reachable?
import { getReadiness, type Check } from '../api.server.ts';
import { getWebConfig } from '../config.server.ts';
import type { Route } from './+types/status.ts';

export const meta: Route.MetaFunction = () => [
  { title: 'Trellis' },
  { name: 'description', content: 'Trellis status' },
];

// Status must be fresh on every request.
export const headers: Route.HeadersFunction = () => ({ 'Cache-Control': 'no-store' });

export async function loader() {
  const config = getWebConfig();
  const readiness = await getReadiness(config.apiUrl);
  return {
    readiness,
    // Operators need to know where the web server looked; visitors of a production site do not.
    apiUrl: config.env === 'production' ? undefined : config.apiUrl,
    links: { apiDocs: '/api/docs', temporalUi: config.temporalUiUrl },
  };
}

// Known checks in a fixed order and with readable names; unknown ones follow as they come.
const CHECK_LABELS: Record<string, string> = { database: 'Database', redis: 'Redis', temporal: 'Temporal' };

export default function Home({ loaderData }: Route.ComponentProps) {
  const { readiness, apiUrl, links } = loaderData;
  return (
    <main className="page">
      <h1>Trellis</h1>
      <p className="subtitle">AI automation, executed durably.</p>

      <section className="card" aria-labelledby="status-heading">
        <h2 id="status-heading">
          System status{' '}
          {readiness.reachable && <Badge ok={readiness.status === 'ok'} up="ready" down="degraded" />}
        </h2>
        {readiness.reachable ? (
          <ul className="checks">
            {orderChecks(readiness.checks).map(([name, check]) => (
              <CheckRow key={name} name={CHECK_LABELS[name] ?? name} check={check} />
            ))}
          </ul>
        ) : (
          <div className="alert" role="alert">
            <strong>API unreachable</strong>
            The web server could not get a status report from the API
            {apiUrl ? <> at <code>{apiUrl}</code></> : null}: {readiness.error}. Is the API process running?
          </div>
        )}
      </section>

      <section className="card" aria-labelledby="links-heading">
        <h2 id="links-heading">Links</h2>
        <ul className="links">
          <li>
            <a href={links.apiDocs}>API documentation</a>
          </li>
          <li>
            <a href={links.temporalUi} target="_blank" rel="noreferrer">
              Temporal UI
            </a>
          </li>
        </ul>
      </section>
    </main>
  );
}

function CheckRow({ name, check }: { name: string; check: Check }) {
  return (
    <li>
      <span className="check-name">{name}</span>
      {check.latencyMs !== undefined && <span className="check-meta">{check.latencyMs} ms</span>}
      <Badge ok={check.ok} up="up" down="down" />
      {!check.ok && check.error && <span className="check-error">{check.error}</span>}
    </li>
  );
}

function Badge({ ok, up, down }: { ok: boolean; up: string; down: string }) {
  return <span className={`badge ${ok ? 'up' : 'down'}`}>{ok ? up : down}</span>;
}

function orderChecks(checks: Record<string, Check>): [string, Check][] {
  const known = Object.keys(CHECK_LABELS).filter((name) => name in checks);
  const rest = Object.keys(checks).filter((name) => !(name in CHECK_LABELS));
  return [...known, ...rest].map((name) => [name, checks[name]!]);
}
