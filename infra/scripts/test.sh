#!/usr/bin/env bash
# `npm test`: install what is missing (bootstrap, with Chromium for the browser tests), then
# lint, type-check and run every jest suite, then the browser end-to-end suite. The suites start
# the services they need themselves (tests/support/global-setup.ts: Temporal dev server, Redis,
# PostgreSQL; tests/e2e/support/global-setup.ts: the whole stack through infra/scripts/start.ts).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bash "$ROOT/infra/scripts/bootstrap.sh" --for-tests
source "$ROOT/infra/scripts/lib.sh"
cd "$ROOT"
export TEMPORAL_CLI="$(temporal_bin)"

t0=$(date +%s)
step "Lint (eslint)"
npx eslint --max-warnings 0 .
done_step "lint clean"

step "Type check (tsc --noEmit)"
npx react-router typegen web >/dev/null
npx tsc --noEmit -p tsconfig.json
done_step "types check"

step "Tests (jest)"
node --experimental-vm-modules --no-warnings=ExperimentalWarning node_modules/jest/bin/jest.js "$@"
done_step "tests passed"

# The browser suite starts the whole stack itself (as `npm start` does) and drives Chromium.
step "Browser tests (jest -c jest.e2e.config.js)"
node --experimental-vm-modules --no-warnings=ExperimentalWarning node_modules/jest/bin/jest.js -c jest.e2e.config.js
done_step "browser tests passed"
printf '\033[1;32mnpm test passed in %ss.\033[0m\n' "$(( $(date +%s) - t0 ))"
