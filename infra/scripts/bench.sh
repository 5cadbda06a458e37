#!/usr/bin/env bash
# `npm run bench`: runs every benchmark in tests/bench/*.bench.ts (or the ones named as
# arguments), each starting the services it needs. Results print as they come; the figures in
# docs/benchmarks.md are copied from this output, with the machine and the date.
# A benchmark that reads BENCH_TEMPORAL_STORE runs once per Temporal store: the dev server, then
# a Temporal server on PostgreSQL (built once by temporal-server.sh, several minutes the first
# time). BENCH_TEMPORAL_STORES="dev-server" skips the PostgreSQL runs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$ROOT/infra/scripts/bootstrap.sh"
source "$ROOT/infra/scripts/lib.sh"
cd "$ROOT"
export TEMPORAL_CLI="$(temporal_bin)"
files=("$@")
[ ${#files[@]} -gt 0 ] || files=(tests/bench/*.bench.ts)
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), node $(node -v)"
for file in "${files[@]}"; do
  if grep -q BENCH_TEMPORAL_STORE "$file"; then
    for store in ${BENCH_TEMPORAL_STORES:-dev-server postgresql}; do
      if [ "$store" = postgresql ]; then bash "$ROOT/infra/scripts/temporal-server.sh"; fi
      step "Benchmark $file (Temporal store: $store)"
      BENCH_TEMPORAL_STORE="$store" node "$file"
    done
  else
    step "Benchmark $file"
    node "$file"
  fi
done
