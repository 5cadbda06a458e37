#!/usr/bin/env bash
# `npm run bench`: runs every benchmark in tests/bench/*.bench.ts (or the ones named as
# arguments), each starting the services it needs. Results print as they come; the figures in
# docs/benchmarks.md are copied from this output, with the machine and the date.
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
  step "Benchmark $file"
  node "$file"
done
