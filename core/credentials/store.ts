// Team credentials as the activities read them. The encrypted vault (API "Credentials") plugs in
// here; until a team has stored any, every lookup answers "not found".
import type { CredentialStore } from '../../activities/http.ts';

export const emptyCredentialStore: CredentialStore = {
  get: () => Promise.resolve(undefined),
};
