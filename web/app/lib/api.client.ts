// Calls from the browser to the API through the web server's /api proxy (the session cookie
// applies), with the typed client: requests and answers typed from the contract.
import { TrellisClient, type TeamClient } from '../../../clients/typescript/index.ts';

export function browserTeamClient(teamId: string): TeamClient {
  return new TrellisClient({ baseUrl: window.location.origin }).team(teamId);
}
