// The HTML shell every page renders inside, the theme, and the last-resort error page.
import { isRouteErrorResponse, Links, Meta, Outlet, Scripts, ScrollRestoration, useRouteLoaderData } from 'react-router';
import type { ReactNode } from 'react';
import type { Route } from './+types/root.ts';
import { ToastProvider } from './components/ui.tsx';
import { readTheme, type Theme } from './lib/theme.ts';
// Allowed by its hash in the Content-Security-Policy (web/server.ts), so it needs no nonce.
import { SYSTEM_THEME_SCRIPT } from './lib/csp.ts';
// A side-effect CSS import: React Router emits its <link> through <Links/>.
import './app.css';

export const meta: Route.MetaFunction = () => [{ title: 'Trellis' }];

// web/public/ is copied into the client build; an explicit icon spares the /favicon.ico 404.
export const links: Route.LinksFunction = () => [{ rel: 'icon', href: '/favicon.svg', type: 'image/svg+xml' }];

export function loader({ request }: Route.LoaderArgs) {
  return { theme: readTheme(request.headers.get('cookie')) };
}

export function Layout({ children }: { children: ReactNode }) {
  const theme: Theme = useRouteLoaderData<typeof loader>('root')?.theme ?? 'system';
  return (
    <html lang="en" className={theme === 'dark' ? 'dark' : undefined} suppressHydrationWarning>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {theme === 'system' && <script dangerouslySetInnerHTML={{ __html: SYSTEM_THEME_SCRIPT }} />}
        <Meta />
        <Links />
      </head>
      <body>
        <ToastProvider>{children}</ToastProvider>
        <ScrollRestoration />
        <Scripts />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

export function ErrorBoundary({ error }: Route.ErrorBoundaryProps) {
  let status = 500;
  let title = 'Something went wrong';
  let detail = 'An unexpected error occurred. Please try again in a moment.';
  let stack: string | undefined;

  if (isRouteErrorResponse(error)) {
    status = error.status;
    if (status === 404) {
      title = 'Page not found';
      detail = typeof error.data === 'string' && error.data ? `${error.data}.` : 'The page you asked for does not exist.';
    } else {
      title = error.statusText || title;
      if (typeof error.data === 'string' && error.data) detail = error.data;
    }
  } else if (error instanceof Error && error.name === 'ApiError') {
    detail = error.message;
  } else if (import.meta.env.DEV && error instanceof Error) {
    // Only development builds show the real message and stack; production keeps them in the logs.
    detail = error.message;
    stack = error.stack;
  }

  return (
    <main className="mx-auto max-w-2xl px-5 py-16">
      <h1 className="text-2xl font-semibold">
        <span className="text-slate-500">{status}</span> {title}
      </h1>
      <p className="mt-2 text-slate-700 dark:text-slate-300">{detail}</p>
      {stack && <pre className="mt-4 overflow-x-auto rounded bg-slate-100 p-3 text-xs dark:bg-slate-900">{stack}</pre>}
      <p className="mt-6">
        <a href="/">Back to the start page</a>
      </p>
    </main>
  );
}
