// Team credentials as the activities read them. The encrypted vault (API "Credentials") plugs in
// here; until a team has stored any, every lookup answers "not found". The port lives in core/
// (activities/ re-export it): core/ never imports activities/ (docs/design.md, Layout).

export interface CredentialStore {
  get(
    teamId: string,
    credentialId: string,
  ): Promise<
    | {
        type: 'openai' | 'http_header' | 'http_basic' | 'http_bearer';
        data: Record<string, string>;
        /** Host patterns the secret may be sent to (core/credentials/hosts.ts); null or absent: none, so an http credential is refused. */
        allowedHosts?: string[] | null;
      }
    | undefined
  >;
}

export const emptyCredentialStore: CredentialStore = {
  get: () => Promise.resolve(undefined),
};
