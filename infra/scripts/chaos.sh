#!/usr/bin/env bash
# `npm run chaos`: the fault campaign (tests/chaos/chaos.ts). Starts the whole stack on free ports
# in a temporary folder, puts runs with http side effects under steady load, SIGKILLs the worker,
# the api, the Temporal dev server, Redis and PostgreSQL in turn, and prints a table of what each
# fault did. Name parts to kill only those: `npm run chaos -- worker redis`.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$ROOT/infra/scripts/bootstrap.sh"
source "$ROOT/infra/scripts/lib.sh"
cd "$ROOT"
export TEMPORAL_CLI="$(temporal_bin)"
# The campaign also checks that the web app serves its pages again after each fault.
if [ ! -d web/build/server ]; then
  step "Building the web app"
  npx react-router build web
fi
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), node $(node -v)"
node tests/chaos/chaos.ts "$@"
