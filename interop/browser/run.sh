#!/usr/bin/env bash
# Runs the dashboard browser test against the sobatch binary ($SOBATCH_BIN, else
# ../../target/release/sobatch) in Debian's Chromium ($CHROMIUM_BIN, else /usr/bin/chromium),
# driven by the pinned playwright-core, which never downloads a browser of its own. Installs it with
# `npm ci` when node_modules is missing. Leaves the screenshot in target/browser/ of the repository.
# Exits non-zero if the test fails.
set -uo pipefail
cd "$(dirname "$0")"

chromium="${CHROMIUM_BIN:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  printf 'browser test: Chromium not found at %s; install it with: apt-get install -y chromium\n' "$chromium" >&2
  exit 1
fi

if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund || exit 1
fi

printf '\n=== dashboard browser test (%s)\n' "$("$chromium" --version 2>/dev/null)"
# The test bounds its own waits; this only guards against a hung browser or server.
timeout --kill-after=10 180 node --test dashboard.test.js
status=$?
if [ "$status" -ne 0 ]; then
  printf '=== browser test FAILED (exit %s)\n' "$status"
fi
exit "$status"
