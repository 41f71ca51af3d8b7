#!/usr/bin/env bash
# Browser tests for Hanlin: real server binary + Debian's Chromium driven by playwright-core.
# Installs what is missing (chromium, CJK fonts for readable screenshots, the npm package),
# builds the server (or uses $HANLIN_BIN), then runs the tests with `node --test`.
# Screenshots and the server log land in tests/browser/artifacts/ (git-ignored).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
export DEBIAN_FRONTEND=noninteractive

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo -E "$@"; else
    echo "run.sh: need root to install $*" >&2; return 1; fi
}

apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then as_root apt-get update -q; apt_updated=1; fi
  as_root apt-get install -y -q --no-install-recommends "$@"
}

# 1. Chromium from Debian (no browser download by playwright).
if [ -z "${CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
  echo "==> installing chromium (apt)"
  apt_install chromium
fi
# CJK fonts so the screenshots show Chinese text rather than boxes (tests pass either way).
if command -v fc-list >/dev/null 2>&1 && [ -z "$(fc-list :lang=zh 2>/dev/null | head -1)" ]; then
  echo "==> installing fonts-noto-cjk (apt)"
  apt_install fonts-noto-cjk || echo "run.sh: could not install CJK fonts; continuing" >&2
fi

# 2. playwright-core, pinned in package-lock.json.
if [ ! -d "$HERE/node_modules/playwright-core" ]; then
  echo "==> npm ci"
  (cd "$HERE" && npm ci --no-audit --no-fund)
fi

# 3. The server, built where cargo puts it: $CARGO_TARGET_DIR (a relative one from the workspace root,
# where cargo runs) or target/. HANLIN_PROFILE=dev builds the debug binary instead of a release one.
if [ -z "${HANLIN_BIN:-}" ]; then
  TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
  case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$ROOT/$TARGET_DIR" ;; esac
  if [ "${HANLIN_PROFILE:-release}" = dev ]; then
    echo "==> cargo build --bin hanlin (into $TARGET_DIR)"
    (cd "$ROOT" && cargo build --bin hanlin)
    export HANLIN_BIN="$TARGET_DIR/debug/hanlin"
  else
    echo "==> cargo build --release --bin hanlin (into $TARGET_DIR)"
    (cd "$ROOT" && cargo build --release --bin hanlin)
    export HANLIN_BIN="$TARGET_DIR/release/hanlin"
  fi
fi

# 4. The tests (sequential: they share one server and build on each other).
mkdir -p "$HERE/artifacts"
cd "$HERE"
exec node --test --test-concurrency=1 --test-reporter=spec "$@" hanlin.test.mjs ui17.test.mjs search15.test.mjs dashboard14.test.mjs onboarding.test.mjs print14.test.mjs robots16.test.mjs collab16.test.mjs records12.test.mjs attachments11.test.mjs
