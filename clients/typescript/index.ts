// @trellis/client: a typed client for the Trellis REST API (docs/api-guide.md). Import it by
// path from this repository; Node.js 24 runs the TypeScript as it is (no build step).
export { TrellisClient, TeamClient, type TrellisAuth, type TrellisClientOptions, type PageQuery, type RunEventsOptions } from './client.ts';
export { OPERATIONS, type OperationTypes } from './operations.ts';
export { pathOf, type Answer, type Body, type CallArgs, type CallOptions, type OperationId, type PathParams, type Query } from './calls.ts';
export { TrellisProblem, isTrellisProblem } from './problem.ts';
export { parseEventStream, type SseMessage } from './sse.ts';
export * from './types.ts';
