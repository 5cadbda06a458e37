// The route table (React Router framework mode). Paths are relative to web/app.
// Public pages sit at the top level; signed-in pages render inside layouts/app.tsx, and team
// pages live under /t/:teamId so every link names the team it acts on.
import { index, layout, prefix, route, type RouteConfig } from '@react-router/dev/routes';

export default [
  index('routes/index.tsx'),
  route('status', 'routes/status.tsx'),
  route('theme', 'routes/theme.tsx'),
  route('login', 'routes/auth/login.tsx'),
  route('register', 'routes/auth/register.tsx'),
  route('verify-email', 'routes/auth/verify-email.tsx'),
  route('forgot-password', 'routes/auth/forgot-password.tsx'),
  route('reset-password', 'routes/auth/reset-password.tsx'),
  route('logout', 'routes/auth/logout.tsx'),
  route('invitations/:token', 'routes/auth/invitation.tsx'),
  layout('layouts/app.tsx', [
    route('account', 'routes/account.tsx'),
    route('teams/new', 'routes/teams-new.tsx'),
    route('admin', 'routes/admin.tsx'),
    ...prefix('t/:teamId', [
      index('routes/team/dashboard.tsx'),
      route('workflows', 'routes/team/workflows.tsx'),
      route('workflows/:workflowId', 'routes/team/designer.tsx'),
      route('workflows/:workflowId/triggers', 'routes/team/triggers.tsx'),
      route('runs', 'routes/team/runs.tsx'),
      route('runs/:runId', 'routes/team/run.tsx'),
      route('failures', 'routes/team/failures.tsx'),
      route('settings/members', 'routes/team/members.tsx'),
      route('settings/api-keys', 'routes/team/api-keys.tsx'),
      route('settings/credentials', 'routes/team/credentials.tsx'),
      route('settings/notifications', 'routes/team/notifications.tsx'),
    ]),
  ]),
] satisfies RouteConfig;
