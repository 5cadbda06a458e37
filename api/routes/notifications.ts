// /api/v1/teams/{teamId}/notification-channels (docs/api.md "Notifications"): team admins add and
// remove channels, send a test and read each channel's delivery log.
import { type Router } from 'express';
import { apiRouter } from './router.ts';
import type { NotificationChannels } from '../../core/notifications/channels.ts';
import { CreateNotificationChannel } from '../../core/notifications/channels.ts';
import { PageQuery } from '../../core/pagination.ts';
import type { AuthMiddleware } from '../middleware/authenticate.ts';
import { parseBody, parseQuery } from '../middleware/validate.ts';

const BASE = '/api/v1/teams/:teamId/notification-channels';

export function notificationRoutes(channels: NotificationChannels, guards: AuthMiddleware): Router {
  const router = apiRouter();
  const { requireTeamRole } = guards;

  router.post(BASE, requireTeamRole('notifications:write'), async (req, res) => {
    const body = parseBody(CreateNotificationChannel, req.body);
    const actor = req.auth?.kind === 'user' ? req.auth.user.id : null;
    // A webhook channel's signing secret is in this answer and never again.
    res.status(201).set('Cache-Control', 'no-store').json(await channels.create(req.params.teamId as string, actor, body));
  });

  router.get(BASE, requireTeamRole('notifications:read'), async (req, res) => {
    res.json({ items: await channels.list(req.params.teamId as string), nextCursor: null });
  });

  router.delete(`${BASE}/:channelId`, requireTeamRole('notifications:write'), async (req, res) => {
    await channels.delete(req.params.teamId as string, req.params.channelId as string);
    res.status(204).end();
  });

  router.post(`${BASE}/:channelId/test`, requireTeamRole('notifications:write'), async (req, res) => {
    res.status(202).json(await channels.test(req.params.teamId as string, req.params.channelId as string));
  });

  router.get(`${BASE}/:channelId/deliveries`, requireTeamRole('notifications:read'), async (req, res) => {
    res.json(await channels.deliveries(req.params.teamId as string, req.params.channelId as string, parseQuery(PageQuery, req.query)));
  });

  return router;
}
