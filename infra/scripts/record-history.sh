#!/usr/bin/env bash
# Saves a finished run's event history as a replay fixture:
#   TEMPORAL_ADDRESS=127.0.0.1:7233 bash infra/scripts/record-history.sh <runId> <fixture-name>
# writes tests/fixtures/histories/<name>.json, which `npm test` replays against the current
# workflow code (tests/workflows/replay.test.ts) so a determinism break fails CI.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[ $# -eq 2 ] || die "usage: record-history.sh <runId> <fixture-name>"
out="$ROOT/tests/fixtures/histories/$2.json"
"$(temporal_bin)" workflow show --address "${TEMPORAL_ADDRESS:-127.0.0.1:7233}" \
  --namespace "${TEMPORAL_NAMESPACE:-default}" --workflow-id "$1" --output json > "$out"
echo "wrote $out ($(grep -c '"eventId"' "$out") events)"
