#!/usr/bin/env bash
# `npm start`: install what is missing (bootstrap), then start all of Trellis.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$ROOT/infra/scripts/bootstrap.sh"
source "$ROOT/infra/scripts/lib.sh" # the bootstrap may have just installed Node 24
TEMPORAL_CLI="$(temporal_bin)" exec node "$ROOT/infra/scripts/start.ts"
