// Every MikroORM entity, in one list for the ORM (orm.ts). Entities are defined next to their area
// (core/<area>/entities.ts, with defineEntity: no decorators, as Node's type stripping and esbuild
// emit no decorator metadata); a new area adds its entities to `entities` here. Everything is
// re-exported, so code outside an area may import any entity from this one place.
import { EmailToken, LoginEvent, OAuthAccount, Session, User } from '../auth/entities.ts';
import { BlobRecord } from '../blobs/entities.ts';
import { CredentialRecord } from '../credentials/entities.ts';
import { ApiKey } from '../keys/entities.ts';
import { MailOutboxRecord } from '../mail/entities.ts';
import { NotificationChannelRecord, NotificationDeliveryRecord } from '../notifications/entities.ts';
import { RunIdempotency, RunRecord } from '../runs/entities.ts';
import { ScheduleRecord } from '../schedules/entities.ts';
import { Invitation, Membership, Team } from '../teams/entities.ts';
import { UsageCounter } from '../usage/entities.ts';
import { WebhookDelivery, WebhookRecord, WebhookSignature } from '../webhooks/entities.ts';
import { WorkflowDefinition, WorkflowVersion } from '../workflows/entities.ts';

export {
  ApiKey, BlobRecord, CredentialRecord, EmailToken, Invitation, LoginEvent, MailOutboxRecord, Membership,
  NotificationChannelRecord, NotificationDeliveryRecord, OAuthAccount, RunIdempotency, RunRecord, ScheduleRecord,
  Session, Team, UsageCounter, User, WebhookDelivery, WebhookRecord, WebhookSignature, WorkflowDefinition, WorkflowVersion,
};

export const entities = [
  RunRecord, BlobRecord, WorkflowDefinition, WorkflowVersion,
  CredentialRecord, WebhookRecord, WebhookDelivery, WebhookSignature, RunIdempotency, ScheduleRecord,
  User, Session, OAuthAccount, EmailToken, LoginEvent, Team, Membership, Invitation, ApiKey, UsageCounter,
  MailOutboxRecord, NotificationChannelRecord, NotificationDeliveryRecord,
];
