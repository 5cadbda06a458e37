#!/usr/bin/env bash
# Installs n8n (the peer of the webhook benchmark, tests/bench/peer.bench.ts) into the machine
# cache once: ~/.cache/trellis/n8n-$N8N_VERSION (about 3 GB; about 4 minutes on a quiet machine,
# 99 on a busy one). Later runs and fresh clones reuse it. Prints the path of the n8n binary on its
# last line.
# n8n's optional Kafka client builds a native module from source at install time; the benchmark
# never uses Kafka, so its install script is skipped (npm 11's allowScripts).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

N8N_VERSION="${N8N_VERSION:-2.41.1}"
dir="$MACHINE_CACHE/n8n-$N8N_VERSION"
bin="$dir/node_modules/.bin/n8n"
if [ -x "$bin" ] && [ -f "$dir/.complete" ]; then
  echo "$bin"
  exit 0
fi
step "Installing n8n $N8N_VERSION into $dir (about 3 GB, several minutes, once per machine)" >&2
rm -rf "$dir.partial"
mkdir -p "$dir.partial"
cat > "$dir.partial/package.json" <<EOF
{
  "name": "trellis-bench-n8n",
  "private": true,
  "allowScripts": { "@confluentinc/kafka-javascript": false }
}
EOF
( cd "$dir.partial" && npm install --no-audit --no-fund --loglevel=error "n8n@$N8N_VERSION" ) >&2
# Installed under a temporary name and renamed at the end: an interrupted install is never reused.
rm -rf "$dir"
mv "$dir.partial" "$dir"
touch "$dir/.complete"
done_step "n8n $N8N_VERSION installed" >&2
echo "$bin"
