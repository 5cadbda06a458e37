// The OpenAPI description of run statistics and grouped failures (api/routes/insights.ts). Query
// parameters mirror the zod schemas the routes parse with.
import { MAX_STATS_DAYS } from './routes/insights.ts';
import { RUN_STATUSES } from '../core/runs/stats.ts';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });
const iso = { type: 'string', format: 'date-time' };
const counts = Object.fromEntries(RUN_STATUSES.map((status) => [status, { type: 'integer' }]));
const teamId = { name: 'teamId', in: 'path', required: true, description: 'a team the caller belongs to (404 for any other team)', schema: { type: 'string' } };
const workflowId = { name: 'workflowId', in: 'query', description: 'one workflow only', schema: { type: 'string', maxLength: 100 } };
const common = {
  400: problem('invalid_query: a parameter is out of range (problems names it)'),
  401: problem('no or invalid credentials'),
  403: problem('the role or API key scope does not allow this (runs:read)'),
  404: problem('not found (also for teams of others)'),
  429: problem('rate limited'),
};
const op = (summary: string, extra: object) => ({ tags: ['runs'], summary, security: [{ bearerAuth: [] }, { sessionCookie: [] }], ...extra });

export const insightSchemas = {
  RunStats: {
    type: 'object',
    properties: {
      from: { ...iso, description: 'midnight UTC of the first day counted' },
      to: { ...iso, description: 'when the numbers were taken' },
      perDay: { type: 'array', items: { type: 'object', properties: { day: { type: 'string', format: 'date' }, total: { type: 'integer' }, ...counts } } },
      totals: {
        type: 'object',
        properties: { runs: { type: 'integer' }, ...counts, finished: { type: 'integer', description: 'succeeded + failed + timed_out' }, successRate: { type: ['number', 'null'], description: 'succeeded / finished; null when nothing finished' } },
      },
    },
  },
  FailureGroup: {
    type: 'object',
    properties: {
      workflowId: { type: 'string' }, workflowName: { type: ['string', 'null'] },
      nodeId: { type: ['string', 'null'], description: 'the node the runs failed at; null when they failed as a whole' },
      code: { type: ['string', 'null'], description: 'the failure\'s stable code (timed_out for a run that timed out without one)' },
      message: { type: ['string', 'null'], description: 'the newest run\'s error message' },
      count: { type: 'integer' }, firstSeen: iso, lastSeen: iso,
      sampleRunIds: { type: 'array', items: { type: 'string' }, description: 'up to 5, newest first' },
    },
  },
};

export function insightPaths(): Record<string, unknown> {
  return {
    '/api/v1/teams/{teamId}/stats': {
      get: op('Root runs per UTC day and status over the last `days` days (today included), with totals and the success rate', {
        parameters: [teamId, { name: 'days', in: 'query', schema: { type: 'integer', minimum: 1, maximum: MAX_STATS_DAYS, default: 30 } }, workflowId],
        responses: { 200: { description: 'statistics', content: { 'application/json': { schema: ref('RunStats') } } }, ...common },
      }),
    },
    '/api/v1/teams/{teamId}/failures': {
      get: op('Failed and timed-out root runs since `since`, grouped by workflow, node and error code, the most recently seen first', {
        parameters: [
          teamId,
          { name: 'since', in: 'query', description: 'ISO date or date-time; default: 7 days ago', schema: { type: 'string' } },
          workflowId,
          { name: 'limit', in: 'query', description: 'groups at most', schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 } },
        ],
        responses: {
          200: { description: 'groups', content: { 'application/json': { schema: { type: 'object', properties: { since: iso, items: { type: 'array', items: ref('FailureGroup') } } } } } },
          ...common,
        },
      }),
    },
  };
}
