import { DualMigration } from './dialect.ts';

/** The mail outbox and delivery log (core/mail/entities.ts). */
export class M005MailOutbox extends DualMigration {
  override name = 'm005-mail-outbox';
  readonly sql = {
    sqlite: [
      'create table `mail_outbox` (`id` text not null primary key, `kind` text not null, `recipient` text not null, `subject` text not null, `text` text null, `html` text null, `status` text not null, `attempts` integer not null default 0, `last_error` text null, `created_at` datetime not null, `dispatched_at` datetime null, `sent_at` datetime null, `updated_at` datetime not null)',
      'create index `mail_outbox_status_dispatched_at_index` on `mail_outbox` (`status`, `dispatched_at`)',
      'create index `mail_outbox_recipient_created_at_index` on `mail_outbox` (`recipient`, `created_at`)',
      'create index `mail_outbox_created_at_index` on `mail_outbox` (`created_at`)',
    ],
    postgresql: [
      'create table "mail_outbox" ("id" varchar(255) not null, "kind" varchar(255) not null, "recipient" varchar(255) not null, "subject" text not null, "text" text null, "html" text null, "status" varchar(255) not null, "attempts" int not null default 0, "last_error" text null, "created_at" timestamptz not null, "dispatched_at" timestamptz null, "sent_at" timestamptz null, "updated_at" timestamptz not null, primary key ("id"))',
      'create index "mail_outbox_status_dispatched_at_index" on "mail_outbox" ("status", "dispatched_at")',
      'create index "mail_outbox_recipient_created_at_index" on "mail_outbox" ("recipient", "created_at")',
      'create index "mail_outbox_created_at_index" on "mail_outbox" ("created_at")',
    ],
  };
}
