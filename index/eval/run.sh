#!/bin/sh
# Imports the corpus into a scratch data directory and evaluates the query sets:
#   index/eval/run.sh [BINARY]    (default: target/release/hanlin; build with --release first)
# Prints the summary line of each set; the per-query lines go to /tmp/hanlin-eval-*.txt.
set -e
BIN=${1:-${CARGO_TARGET_DIR:-target}/release/hanlin}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CORPUS="$ROOT/../shared/corpus"
DATA=$(mktemp -d /tmp/hanlin-eval-data.XXXXXX)
trap 'rm -rf "$DATA"' EXIT
HANLIN_ADMIN_PASSWORD=eval-only-password-1 "$BIN" import "$CORPUS/kb" --space 技术文档 --data-dir "$DATA" | tail -1
for set in "$CORPUS/queries-sample.tsv" "$ROOT/index/examples/queries-hard.tsv" "$ROOT/index/eval/tune.tsv" "$ROOT/index/eval/tune2.tsv" "$ROOT/index/eval/tune3.tsv" "$ROOT/index/eval/tune4.tsv" "$ROOT/index/eval/heldout.tsv" "$ROOT/index/eval/fresh.tsv" "$ROOT/index/eval/fresh2.tsv" "$ROOT/index/eval/fresh3.tsv"; do
    name=$(basename "$set" .tsv)
    "$BIN" eval "$set" --data-dir "$DATA" > "/tmp/hanlin-eval-$name.txt"
    echo "$name: $(grep '^queries:' "/tmp/hanlin-eval-$name.txt")  $(grep '^absent:' "/tmp/hanlin-eval-$name.txt" || true)"
done
