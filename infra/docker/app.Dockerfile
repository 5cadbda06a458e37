# syntax=docker/dockerfile:1
# One image for every Trellis process; the command picks the role:
#   api (default)   node api/server.ts
#   worker          node worker/main.ts
#   web             node web/server.ts
#   migrate         node core/db/migrate.ts
# Node 24 runs the TypeScript sources as they are (type stripping): the only build step is the
# web app's bundle. Build from the repository root:
#   docker build -f infra/docker/app.Dockerfile -t trellis .
ARG NODE_IMAGE=node:24-bookworm-slim

# ---- deps: every dependency, with a toolchain for native addons that lack a prebuilt binary
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
# Unpinned apt packages on purpose (DL3008): Debian security updates replace pinned versions.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# ---- build: the web bundle, then drop dev dependencies (vite, jest, typescript, …)
FROM deps AS build
COPY . .
RUN npm run build:web \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: sources, production node_modules and the web bundle; no compiler, no npm cache
FROM ${NODE_IMAGE} AS runtime
# tini forwards SIGTERM to node and reaps zombies, so workers drain cleanly on stop.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    TRELLIS_DATA_DIR=/app/.data
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/contract ./contract
COPY --from=build /app/workflows ./workflows
COPY --from=build /app/activities ./activities
COPY --from=build /app/core ./core
COPY --from=build /app/api ./api
COPY --from=build /app/worker ./worker
COPY --from=build /app/web ./web
# npm run admin / migrate (infra/scripts/admin.ts, docs/deployment.md)
COPY --from=build /app/infra/scripts ./infra/scripts
# Code stays root-owned and read-only to the app; only its data directory is writable.
RUN mkdir -p /app/.data && chown node:node /app/.data
# The image's `node` user, by number so Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
# web, api, worker metrics/health
EXPOSE 3000 3001 9464
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "api/server.ts"]
