// The wire contract of the Trellis API: import shapes and types from here (api, web, tests, clients).
export * from './common.ts';
export * from './identity.ts';
export * from './platform.ts';
export * from './runs.ts';
export * from './notifications.ts';
export * from './ops.ts';
export { ROUTES, TAGS, PATH_PARAMS, findRoute, type RouteSpec, type ResponseSpec, type Method } from './routes.ts';
