#!/usr/bin/env bash
# Fetch GOV.UK Frontend (console styles) and axe-core (accessibility tests) with npm.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python -m callrouter.console.assets "$@"
