// The emails Trellis sends. Each has a plain-text and an HTML body carrying the same link.
import type { MailMessage } from './mailer.ts';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function message(to: string, subject: string, lines: string[], action: { label: string; link: string }): MailMessage {
  const text = `${lines.join('\n\n')}\n\n${action.label}: ${action.link}\n\n— Trellis\n`;
  const html = `<!doctype html><html><body style="font:15px system-ui,sans-serif;color:#1f2937">${lines
    .map((line) => `<p>${escape(line)}</p>`)
    .join('')}<p><a href="${escape(action.link)}" style="display:inline-block;padding:.6rem 1rem;background:#1d4ed8;color:#fff;border-radius:6px;text-decoration:none">${escape(action.label)}</a></p><p style="color:#6b7280;font-size:13px">Or open this address: ${escape(action.link)}</p></body></html>`;
  return { to, subject, text, html, link: action.link };
}

export function verificationEmail(to: string, name: string, link: string): MailMessage {
  return message(to, 'Confirm your email address for Trellis', [
    `Hello ${name},`,
    'Please confirm that this is your email address. The link works once and expires in 48 hours.',
  ], { label: 'Confirm my email', link });
}

export function passwordResetEmail(to: string, name: string, link: string): MailMessage {
  return message(to, 'Reset your Trellis password', [
    `Hello ${name},`,
    'Someone (hopefully you) asked to reset the password of your Trellis account. The link works once and expires in 1 hour. If it was not you, ignore this email: your password stays as it is.',
  ], { label: 'Choose a new password', link });
}

export function invitationEmail(to: string, inviter: string, teamName: string, role: string, link: string): MailMessage {
  return message(to, `${inviter} invited you to ${teamName} on Trellis`, [
    `${inviter} invited you to join the team "${teamName}" on Trellis as ${role}.`,
    'Sign in (or create an account) with this email address, then accept. The invitation expires in 7 days.',
  ], { label: 'Accept the invitation', link });
}

/** Sent instead of a second account (the registration form answers the same either way). */
export function accountExistsEmail(to: string, name: string, loginLink: string, resetLink: string): MailMessage {
  return message(to, 'Someone tried to sign up to Trellis with your email address', [
    `Hello ${name},`,
    `Someone (hopefully you) tried to create a Trellis account with this email address, which already has one. Nothing was changed. To use your account, log in at ${loginLink}; if you do not know its password, choose a new one below. If it was not you, ignore this email.`,
  ], { label: 'Reset my password', link: resetLink });
}

/** A notification (docs/decisions/032-notifications.md): its lines, and a link to what it is about. */
export function notificationEmail(to: string, subject: string, lines: string[], action?: { label: string; link: string }): MailMessage {
  if (action) return message(to, subject, lines, action);
  const text = `${lines.join('\n\n')}\n\n— Trellis\n`;
  const html = `<!doctype html><html><body style="font:15px system-ui,sans-serif;color:#1f2937">${lines.map((line) => `<p>${escape(line)}</p>`).join('')}</body></html>`;
  return { to, subject, text, html };
}
