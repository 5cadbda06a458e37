// /status: is the API up, and are its dependencies (database, Redis, Temporal) reachable?
import { Alert, Badge, Card } from '../components/ui.tsx';
import { getWebConfig } from '../config.server.ts';
import { getReadiness, type Check } from '../lib/readiness.server.ts';
import type { Route } from './+types/status.ts';

export const meta: Route.MetaFunction = () => [
  { title: 'Status · Trellis' },
  { name: 'description', content: 'Trellis status' },
];

// Status must be fresh on every request.
export const headers: Route.HeadersFunction = () => ({ 'Cache-Control': 'no-store' });

export async function loader() {
  const config = getWebConfig();
  const readiness = await getReadiness(config.apiUrl);
  // Operators need to know where the web server looked and why a dependency is down; visitors of a
  // production site get the statuses only (the API tells the web server more: it asks from loopback).
  const production = config.env === 'production';
  if (production && readiness.reachable) for (const check of Object.values(readiness.checks)) delete check.error;
  return {
    readiness,
    apiUrl: production ? undefined : config.apiUrl,
    links: { apiDocs: '/api/docs', temporalUi: production ? undefined : config.temporalUiUrl },
  };
}

// Known checks in a fixed order and with readable names; unknown ones follow as they come.
const CHECK_LABELS: Record<string, string> = { database: 'Database', redis: 'Redis', temporal: 'Temporal' };

/** Up/down in the run status colours (green, red). */
function UpDown({ ok, up, down }: { ok: boolean; up: string; down: string }) {
  return <Badge status={ok ? 'succeeded' : 'failed'}>{ok ? up : down}</Badge>;
}

export default function Status({ loaderData }: Route.ComponentProps) {
  const { readiness, apiUrl, links } = loaderData;
  return (
    <main className="mx-auto max-w-2xl space-y-6 px-4 py-12">
      <header>
        <h1 className="text-3xl font-semibold tracking-tight">
          <a href="/" className="text-slate-900 no-underline dark:text-white">
            Trellis
          </a>
        </h1>
        <p className="mt-1 text-slate-600 dark:text-slate-400">AI automation, executed durably.</p>
      </header>

      <Card
        title={<span id="status-heading">System status</span>}
        actions={readiness.reachable ? <UpDown ok={readiness.status === 'ok'} up="ready" down="degraded" /> : undefined}
      >
        {readiness.reachable ? (
          <ul aria-labelledby="status-heading" className="divide-y divide-slate-200 dark:divide-slate-800">
            {orderChecks(readiness.checks).map(([name, check]) => (
              <CheckRow key={name} name={CHECK_LABELS[name] ?? name} check={check} />
            ))}
          </ul>
        ) : (
          <Alert>
            <strong className="block">API unreachable</strong>
            The web server could not get a status report from the API
            {apiUrl ? (
              <>
                {' '}
                at <code className="font-mono">{apiUrl}</code>
              </>
            ) : null}
            : {readiness.error}. Is the API process running?
          </Alert>
        )}
      </Card>

      <Card title="Links">
        <ul className="space-y-1 text-sm">
          <li>
            <a href={links.apiDocs}>API documentation</a>
          </li>
          {links.temporalUi && (
            <li>
              <a href={links.temporalUi} target="_blank" rel="noreferrer">
                Temporal UI
              </a>
            </li>
          )}
        </ul>
      </Card>
    </main>
  );
}

function CheckRow({ name, check }: { name: string; check: Check }) {
  return (
    <li className="flex flex-wrap items-center gap-x-3 gap-y-1 py-2.5 text-sm first:pt-0 last:pb-0">
      <span className="min-w-24 font-medium">{name}</span>
      <UpDown ok={check.ok} up="up" down="down" />
      {check.latencyMs !== undefined && <span className="text-xs text-slate-500 tabular-nums dark:text-slate-400">{check.latencyMs} ms</span>}
      {!check.ok && check.error && <span className="basis-full text-xs break-words text-red-700 dark:text-red-300">{check.error}</span>}
    </li>
  );
}

function orderChecks(checks: Record<string, Check>): [string, Check][] {
  const known = Object.keys(CHECK_LABELS).filter((name) => name in checks);
  const rest = Object.keys(checks).filter((name) => !(name in CHECK_LABELS));
  return [...known, ...rest].map((name) => [name, checks[name]!]);
}
