#!/usr/bin/env bash
# Runs one command with the project's tools first on PATH: Node.js 24 (from .tools/ when the
# machine's node is older), node_modules/.bin and the Temporal CLI. Every npm script that calls
# node or a node tool goes through here, so none of them runs on an older system node.
#   bash infra/scripts/run.sh [--bootstrap | --bootstrap-for-tests] <command> [args...]
# --bootstrap runs `npm run setup` first (a few seconds when nothing is missing); --bootstrap-for-tests
# adds what the test suites need (Chromium, docker-compose). Without either, the bootstrap runs
# only when Node.js 24 or node_modules is missing (a fresh clone).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bootstrap=()
case "${1:-}" in
  --bootstrap) bootstrap=(bash "$ROOT/infra/scripts/bootstrap.sh"); shift ;;
  --bootstrap-for-tests) bootstrap=(bash "$ROOT/infra/scripts/bootstrap.sh" --for-tests); shift ;;
esac
[ $# -gt 0 ] || die "usage: infra/scripts/run.sh [--bootstrap | --bootstrap-for-tests] <command> [args...]"

if [ ${#bootstrap[@]} -eq 0 ] && { [ "$(node_major node)" -lt "$NODE_MAJOR" ] || [ ! -d "$ROOT/node_modules" ]; }; then
  bootstrap=(bash "$ROOT/infra/scripts/bootstrap.sh")
fi
if [ ${#bootstrap[@]} -gt 0 ]; then
  # Progress to stderr: the command's own output stays clean for pipes.
  "${bootstrap[@]}" >&2
  source "$ROOT/infra/scripts/lib.sh" # the bootstrap may have just installed Node 24
fi
[ "$(node_major node)" -ge "$NODE_MAJOR" ] || die "Node.js $NODE_MAJOR is needed, found $(node -v 2>/dev/null || echo none); run npm run setup"

export TEMPORAL_CLI="${TEMPORAL_CLI:-$(temporal_bin)}"
cd "$ROOT"
exec "$@"
