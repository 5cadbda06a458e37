// Vite builds the app (client + server bundles); in production web/server.ts serves them.
// In `react-router dev` Vite itself serves the app, so it also proxies /api, /hooks and /mcp to the
// API the way web/server.ts does, keeping the browser on one origin (session cookie, SSE).
import { reactRouter } from '@react-router/dev/vite';
import tailwindcss from '@tailwindcss/vite';
import { defineConfig, type UserConfig } from 'vite';
import { loadWebConfig } from './app/config.server.ts';

export default defineConfig(({ command }): UserConfig => {
  const base: UserConfig = { plugins: [tailwindcss(), reactRouter()] };
  if (command !== 'serve') return base; // a build must not depend on the runtime environment
  const config = loadWebConfig();
  const toApi = { target: config.apiUrl, xfwd: true };
  return {
    ...base,
    server: {
      port: config.port,
      strictPort: true,
      proxy: { '/api': toApi, '/hooks': toApi, '^/mcp$': toApi },
    },
  };
});
