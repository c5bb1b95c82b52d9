#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for SECONDS each, starting from its committed corpus.
# New inputs go to a scratch folder so the checked-in corpus only changes on purpose.
set -euo pipefail
build_dir=${1:?usage: fuzz.sh BUILD_DIR SECONDS}
seconds=${2:-20}
root=$(cd "$(dirname "$0")/.." && pwd)
status=0
for target in "$build_dir"/tests/fuzz/*_fuzz; do
  name=$(basename "$target" _fuzz)
  scratch=$(mktemp -d)
  mkdir -p "$root/tests/fuzz/artifacts"
  echo "fuzz: $name for ${seconds}s"
  if ! "$target" -max_total_time="$seconds" -max_len=65536 -timeout=5 -rss_limit_mb=2048 \
      -artifact_prefix="$root/tests/fuzz/artifacts/${name}-" -print_final_stats=1 \
      "$scratch" "$root/tests/fuzz/corpus/$name" 2> "$scratch.log"; then
    tail -40 "$scratch.log"
    echo "fuzz: $name FAILED (input saved under tests/fuzz/artifacts/)"
    status=1
  else
    grep -E '^stat::number_of_executed_units|^Done' "$scratch.log" | tr '\n' ' '; echo
  fi
  rm -rf "$scratch" "$scratch.log"
done
exit $status
