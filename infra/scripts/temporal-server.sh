#!/usr/bin/env bash
# Builds the Temporal server and its SQL schema tool (only when missing), for the benchmark that
# runs against a Temporal server on PostgreSQL (tests/bench/ingest.bench.ts, BENCH_TEMPORAL_STORE=postgresql):
#   .tools/bin/temporal-server     from go.temporal.io/server/cmd/server@$TEMPORAL_SERVER_VERSION
#   .tools/bin/temporal-sql-tool   from go.temporal.io/server/cmd/tools/sql@$TEMPORAL_SERVER_VERSION
# Like the CLI (bootstrap.sh), each binary is copied to the machine cache (~/.cache/trellis) once
# built, and copied back from there by later runs. The schema files the SQL tool applies come
# with the Go module: `go mod download` puts them in the module cache (printed at the end).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

TEMPORAL_SERVER_VERSION=v1.31.2
MODULE=go.temporal.io/server
mkdir -p "$TOOLS/bin"

build() { # build <binary name> <package path>
  local name=$1 package=$2
  local target="$TOOLS/bin/$name" cached="$MACHINE_CACHE/$name-$TEMPORAL_SERVER_VERSION"
  if [ -x "$target" ] && [ -f "$target.version" ] && [ "$(cat "$target.version")" = "$TEMPORAL_SERVER_VERSION" ]; then
    step "$name $TEMPORAL_SERVER_VERSION: $target"
    return
  fi
  if [ -x "$cached" ]; then
    cp "$cached" "$target"
    echo "$TEMPORAL_SERVER_VERSION" > "$target.version"
    step "$name $TEMPORAL_SERVER_VERSION copied from the machine cache $MACHINE_CACHE"
    return
  fi
  command -v go >/dev/null || die "Go (>= 1.26) is needed to build $name"
  step "Building $name $TEMPORAL_SERVER_VERSION with $(go version | cut -d' ' -f3) (several minutes on 2 cores)"
  # `go install` shows no progress of its own: -x logs each step, and a count of modules
  # downloaded and packages compiled is printed from that log every 10 seconds.
  local log="$TOOLS/$name-build.log" gobin
  gobin=$(mktemp -d "$TOOLS/gobin.XXXXXX")
  rm -f "$log" "$log.rc"
  ( GOBIN="$gobin" go install -x "$MODULE/$package@$TEMPORAL_SERVER_VERSION" > "$log" 2>&1; echo $? > "$log.rc" ) &
  while [ ! -f "$log.rc" ]; do
    sleep 10
    printf '  … %s modules downloaded, %s packages compiled (%ss)\n' \
      "$(grep -c '^go: downloading' "$log" || true)" "$(grep -c '/compile -o' "$log" || true)" "$(( $(date +%s) - step_start ))"
  done
  if [ "$(cat "$log.rc")" != 0 ]; then tail -n 30 "$log" >&2; rm -rf "$gobin"; die "the $name build failed (full log: $log)"; fi
  # go install names the binary after the package's folder (server, sql).
  [ -x "$gobin/$(basename "$package")" ] || { rm -rf "$gobin"; die "the $name build produced no binary (see $log)"; }
  mv "$gobin/$(basename "$package")" "$target"
  rm -rf "$gobin"
  echo "$TEMPORAL_SERVER_VERSION" > "$target.version"
  mkdir -p "$MACHINE_CACHE" && cp "$target" "$cached" || true
  done_step "$name built: $target"
}

build temporal-server cmd/server
build temporal-sql-tool cmd/tools/sql

# The PostgreSQL schema (schema/postgresql/v12/{temporal,visibility}/versioned) ships with the module.
schema="$(go mod download -json "$MODULE@$TEMPORAL_SERVER_VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",\?$/\1/p')/schema/postgresql/v12"
[ -d "$schema/temporal/versioned" ] || die "the PostgreSQL schema of $MODULE@$TEMPORAL_SERVER_VERSION was not found (looked in $schema)"
echo "$schema" > "$TOOLS/bin/temporal-server.schema"
step "Temporal server schema: $schema"
