// The route table (React Router framework mode). Paths are relative to web/app.
import { index, type RouteConfig } from '@react-router/dev/routes';

export default [index('routes/home.tsx')] satisfies RouteConfig;
