// Every router of the api is made here. Express matches paths without regard to case unless told
// otherwise, while the checks in front of the routes (authenticate, rate limits, CSRF) look at
// `req.path` with lower-case prefixes: `/API/v1/auth/login` would reach the login handler with no
// limit at all. Case-sensitive routers make an odd-case path a 404 that never reaches a handler.
// Lint forbids express's Router elsewhere in api/ (eslint.config.js).
import { Router } from 'express';

export function apiRouter(): Router {
  return Router({ caseSensitive: true });
}
