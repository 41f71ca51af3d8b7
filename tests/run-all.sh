#!/usr/bin/env bash
# Runs every test of Hanlin: unit and integration tests (cargo), then the browser tests in real
# Chromium (installs Debian's chromium and the npm test driver when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== cargo test (workspace: unit, integration, property and doc tests)"
# Benches are built by `cargo clippy --all-targets` (CI) but not run here: they measure, they don't test.
cargo test --workspace --lib --bins --tests --examples
cargo test --workspace --doc
if [ -f tests/browser/run.sh ]; then
  echo "== browser tests (Chromium + playwright-core)"
  bash tests/browser/run.sh
fi
