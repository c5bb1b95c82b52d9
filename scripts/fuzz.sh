#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for SECONDS each, starting from its committed corpus,
# JOBS targets at a time (default: the number of cores; each target is one process). New inputs
# go to a scratch folder so the checked-in corpus only changes on purpose. Each target's report
# is printed whole once it ends, so parallel runs never interleave their lines.
set -euo pipefail
build_dir=${1:?usage: fuzz.sh BUILD_DIR SECONDS [JOBS]}
seconds=${2:-20}
jobs_max=${3:-$(nproc)}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$root/tests/fuzz/artifacts"
reports=$(mktemp -d)
trap 'rm -rf "$reports"' EXIT

run_target() {
  local target=$1 name scratch
  name=$(basename "$target" _fuzz)
  scratch=$(mktemp -d)
  {
    echo "fuzz: $name for ${seconds}s"
    if "$target" -max_total_time="$seconds" -max_len=65536 -timeout=5 -rss_limit_mb=2048 \
        -artifact_prefix="$root/tests/fuzz/artifacts/${name}-" -print_final_stats=1 \
        "$scratch" "$root/tests/fuzz/corpus/$name" 2> "$scratch.log"; then
      grep -E '^stat::number_of_executed_units|^Done' "$scratch.log" | tr '\n' ' '; echo
    else
      tail -40 "$scratch.log"
      echo "fuzz: $name FAILED (input saved under tests/fuzz/artifacts/)"
      touch "$reports/$name.failed"
    fi
  } > "$reports/$name.report"
  rm -rf "$scratch" "$scratch.log"
  cat "$reports/$name.report"
}

for target in "$build_dir"/tests/fuzz/*_fuzz; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n || true; done
  run_target "$target" &
done
wait

failed=$(find "$reports" -name '*.failed' | wc -l)
total=$(find "$reports" -name '*.report' | wc -l)
echo "fuzz: $total targets, $failed failed"
[ "$failed" -eq 0 ]
