// The HTML shell every page renders inside, and the last-resort error page.
import { isRouteErrorResponse, Links, Meta, Outlet, Scripts, ScrollRestoration } from 'react-router';
import type { ReactNode } from 'react';
import type { Route } from './+types/root.ts';
// A side-effect CSS import: React Router emits its <link> through <Links/>.
import './app.css';

export const meta: Route.MetaFunction = () => [{ title: 'Trellis' }];

// web/public/ is copied into the client build; an explicit icon spares the /favicon.ico 404.
export const links: Route.LinksFunction = () => [{ rel: 'icon', href: '/favicon.svg', type: 'image/svg+xml' }];

export function Layout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        {children}
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
      detail = 'The page you asked for does not exist.';
    } else {
      title = error.statusText || title;
      if (typeof error.data === 'string' && error.data) detail = error.data;
    }
  } else if (import.meta.env.DEV && error instanceof Error) {
    // Only development builds show the real message and stack; production keeps them in the logs.
    detail = error.message;
    stack = error.stack;
  }

  return (
    <main className="page">
      <h1>
        <span className="status-code">{status}</span> {title}
      </h1>
      <p>{detail}</p>
      {stack && <pre className="stack">{stack}</pre>}
      <p>
        <a href="/">Back to the start page</a>
      </p>
    </main>
  );
}
