#!/usr/bin/env bash
# Peer benchmark entry point: graphile-worker on the same PostgreSQL as sobatch.
# Installs the pinned packages on first use, then runs bench.mjs with the given
# arguments (see README.md beside this file, or pass --help).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if [ ! -d graphile-worker/node_modules ]; then
  echo "graphile-worker peer: installing packages (npm ci)" >&2
  (cd graphile-worker && npm ci --no-audit --no-fund --loglevel=error) 1>&2
fi
exec node graphile-worker/bench.mjs "$@"
