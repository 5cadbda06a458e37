// Every migration, in order. Listed explicitly (no folder scan) so the same list works under
// Node, jest and a bundled build.
import { M001RunSummary } from './m001-run-summary.ts';
import { M002Identity } from './m002-identity.ts';
import { M003Engine } from './m003-engine.ts';
import { M004Triggers } from './m004-triggers.ts';
import { M005MailOutbox } from './m005-mail-outbox.ts';
import { M006CredentialHosts } from './m006-credential-hosts.ts';
import { M007ApiKeyExpiry } from './m007-api-key-expiry.ts';
import { M008RunQueue } from './m008-run-queue.ts';
import { M009TriggerPriority } from './m009-trigger-priority.ts';
import { M010Notifications } from './m010-notifications.ts';
import { M011RunAggregates } from './m011-run-aggregates.ts';
import { M012Retention } from './m012-retention.ts';
import { M013WorkflowTools } from './m013-workflow-tools.ts';

export const migrationsList = [
  { name: 'm001-run-summary', class: M001RunSummary },
  { name: 'm002-identity', class: M002Identity },
  { name: 'm003-engine', class: M003Engine },
  { name: 'm004-triggers', class: M004Triggers },
  { name: 'm005-mail-outbox', class: M005MailOutbox },
  { name: 'm006-credential-hosts', class: M006CredentialHosts },
  { name: 'm007-api-key-expiry', class: M007ApiKeyExpiry },
  { name: 'm008-run-queue', class: M008RunQueue },
  { name: 'm009-trigger-priority', class: M009TriggerPriority },
  { name: 'm010-notifications', class: M010Notifications },
  { name: 'm011-run-aggregates', class: M011RunAggregates },
  { name: 'm012-retention', class: M012Retention },
  { name: 'm013-workflow-tools', class: M013WorkflowTools },
];
