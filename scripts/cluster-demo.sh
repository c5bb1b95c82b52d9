#!/bin/sh
# make cluster-demo: issue 15's cluster on this one machine, shown step by step. It runs the
# cluster lab test (tests/e2e/cluster_lab_test.cpp, ClusterLabTest) itself, the one copy of the
# scenario, narrated (CALLCAST_LAB_NARRATE=1: a "[cluster-demo]" line per step, with the patent's
# step numbers and the figures) and kept (CALLCAST_LAB_KEEP: every node's log, the terminals'
# output and figures, the viewers' recordings, and this run's transcript, under OUT_DIR).
# Network namespaces, so root. Exits non-zero when the lab cannot run here or a step failed.
#   scripts/cluster-demo.sh BUILD_DIR [OUT_DIR]
set -u
build=${1:-build/dev}
out=${2:-demo-out/cluster}
binary="$build/tests/e2e/e2e_tests"

if [ "$(id -u)" != 0 ]; then
  echo "make cluster-demo: needs root (it makes network namespaces, one per host of the lab):"
  echo "  sudo make cluster-demo"
  exit 1
fi
if [ ! -x "$binary" ]; then
  echo "make cluster-demo: $binary is not built"
  exit 1
fi
mkdir -p "$out" || exit 1
out=$(cd "$out" && pwd)
echo "[cluster-demo] Redis, Kamailio, two signaling nodes, three media nodes, broadcasters and"
echo "[cluster-demo] viewers, each on a host of its own (network namespaces on one bridge)"
transcript=$(mktemp)
{
  CALLCAST_LAB_NARRATE=1 CALLCAST_LAB_KEEP="$out" \
    "$binary" --gtest_filter='ClusterLabTest.*' --gtest_brief=1 --gtest_color=no 2>&1
  echo $? >"$transcript.status"
} | tee "$transcript"
status=$(cat "$transcript.status")
mv "$transcript" "$out/transcript.txt"
rm -f "$transcript.status"
# A filter that matched nothing, or a skip, exits 0 too: the last step's line is the proof.
if [ "$status" -ne 0 ] || ! grep -q "all four steps held" "$out/transcript.txt"; then
  echo "cluster demo FAILED (exit $status): the failure is above; logs in $out"
  exit 1
fi
echo "cluster demo OK (logs, figures and recordings in $out)"
