// The one check before a credential leaves the worker for a URL a graph chose (the http node
// today; agent http tools and MCP servers use it too): the URL's host must be one the credential
// is bound to (core/credentials/hosts.ts). Refusals are final: another attempt goes to the same host.
import { hostAllowedFor } from '../core/credentials/hosts.ts';
import { FailureType, nonRetryable } from './failures.ts';

export function requireCredentialHost(credentialId: string, credential: { allowedHosts?: readonly string[] | null }, url: URL): void {
  if (hostAllowedFor(credential.allowedHosts, url)) return;
  const host = url.hostname;
  const why = credential.allowedHosts?.length
    ? `${host} is not one of the hosts it may be sent to`
    : 'it has no allowed hosts yet (a team admin sets them on the Credentials page)';
  throw nonRetryable(
    FailureType.CredentialHostNotAllowed,
    `credential "${credentialId}" was not sent to ${host}: ${why}. Nothing was requested`,
    { credentialId, host },
  );
}
