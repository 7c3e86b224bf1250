#!/bin/sh
# Hidden checks, run the way CI runs them: install exactly what the lock file
# pins (npm ci fails when package.json and package-lock.json disagree), then run
# the repository's own tests and the hidden tests against that install.
set -eu
cache="${SKILLBENCH_SHARED_CACHE:-${HOME:-/tmp}/.cache}/npm"
npm ci --cache "$cache" --prefer-offline --no-audit --no-fund --loglevel=error --no-update-notifier
node --test test/*.test.js hidden_tests/*.test.js
