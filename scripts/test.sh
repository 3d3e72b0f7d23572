#!/usr/bin/env bash
# README command 2: install what is needed and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python3 tools/reference/test_evs_reference.py
export VTOK_PYTHON="$PWD/.venv/bin/python3"
swift build --build-tests
swift test --skip-build
