#!/usr/bin/env bash
# Runs the npm-client interoperability tests against the sobatch binary ($SOBATCH_BIN, else
# ../../target/release/sobatch) under three time zones (spec §2.9: the client re-serializes dates
# in the machine's zone). Installs the pinned client with `npm ci` when node_modules is missing.
# Exits non-zero if any run fails.
set -uo pipefail
cd "$(dirname "$0")"

if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund || exit 1
fi

status=0
for tz in UTC Europe/Oslo America/New_York; do
  printf '\n=== npm-client interop tests, TZ=%s\n' "$tz"
  if ! TZ="$tz" node --test batch-agent.test.js list-rules.test.js; then
    printf '=== FAILED under TZ=%s\n' "$tz"
    status=1
  fi
done
exit "$status"
