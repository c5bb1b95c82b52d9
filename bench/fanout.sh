#!/usr/bin/env bash
# bench/fanout.sh: callcast's fan-out side by side with a real peer and the kernel's limit
# (issue 5). Runs the same `callcast-bench media` load against
#   1. callcastd (1 media worker, its default config: NACK repair on),
#   1b. the same with repair off (`[media] rtx_window_ms = 0`): what repair costs (issue 12),
#   1c. the same with phone-style viewers (plain RTP through the control API, issue 13),
#   1d. the same with WebRTC viewers (issue 14): the bench plays browsers (ICE, DTLS handshake,
#       SRTP decryption per viewer), the server protects every packet per viewer,
#   2. a gst-rtsp-server shared-media relay (bench/peers/gst_shared_relay.c),
#   3. a bare sendmmsg relay (bench/peers/limit_relay.cpp), 4. callcastd with 2 workers,
# ramps each to the largest number of viewers kept in real time with < 0.1 % loss, then runs
# each of 1, 1b, 1d, 2 and 3 once with 1,000 viewers (--at N) for latency, memory and server CPU.
# Prints a table and, as its last stdout line, one JSON object (repair_on_vs_off_*: 1 over 1b;
# webrtc_vs_rtsp_*: 1d over 1); writes the curve (CSV, PNG) and latest.json to bench/results/.
#
#   bench/fanout.sh [--quick] [--webrtc] [--series LIST] [--at N] [--build-dir DIR] [--duration S]
#                   [--max N] [--bench PATH]
#
# Progress goes to stderr; stdout holds only the table and the JSON line.
set -euo pipefail

usage() {
  cat <<'EOF'
usage: bench/fanout.sh [--quick] [--webrtc] [--series LIST] [--at N] [--build-dir DIR]
                       [--duration S] [--max N] [--bench PATH]
  --quick          coarse ramp (--precision 25 --duration 3 --max 8000, viewers set up at
                   1000/s instead of 500/s): under 5 minutes
  --webrtc         only RTSP and WebRTC viewers side by side (--series callcast,callcast_webrtc)
  --series LIST    only these series, comma-separated, of: callcast callcast_repair_off
                   callcast_phones callcast_webrtc peer limit callcast_2w (default: all)
  --at N           the fixed-N runs' viewers (default 1000)
  --build-dir DIR  where callcast-bench and callcastd are (default: build/release if built,
                   else build/dev)
  --duration S     measuring window of each run in seconds (default 10; 3 with --quick)
  --max N          most viewers a ramp tries (default 20000; 8000 with --quick)
  --bench PATH     the callcast-bench to drive (default: DIR/apps/callcast-bench/callcast-bench)
EOF
}

say() { printf 'fanout: %s\n' "$*" >&2; }
die() {
  printf 'fanout: error: %s\n' "$*" >&2
  exit 1
}

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

quick=0
build_dir=""
duration=""
max_viewers=""
bench=""
series=""
at_viewers=1000
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --webrtc) series=callcast,callcast_webrtc ;;
    --series) [ $# -ge 2 ] || die "--series needs a value"; series=$2; shift ;;
    --at) [ $# -ge 2 ] || die "--at needs a value"; at_viewers=$2; shift ;;
    --build-dir) [ $# -ge 2 ] || die "--build-dir needs a value"; build_dir=$2; shift ;;
    --duration) [ $# -ge 2 ] || die "--duration needs a value"; duration=$2; shift ;;
    --max) [ $# -ge 2 ] || die "--max needs a value"; max_viewers=$2; shift ;;
    --bench) [ $# -ge 2 ] || die "--bench needs a value"; bench=$2; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
  shift
done
if [ "$quick" = 1 ]; then
  # Faster viewer set-up too: a run costs ~6 s plus N / ramp-rate, and the ramps' N add up.
  ramp_rate=1000
  start_viewers=200  # one doubling fewer per ramp; the full run's curve starts at 100
  precision=25
  duration=${duration:-3}
  max_viewers=${max_viewers:-8000}
else
  ramp_rate=500
  start_viewers=100
  precision=10
  duration=${duration:-10}
  max_viewers=${max_viewers:-20000}
fi
[[ "$duration" =~ ^[0-9]+$ && "$duration" -ge 1 ]] || die "--duration must be a whole number of seconds >= 1"
[[ "$max_viewers" =~ ^[0-9]+$ && "$max_viewers" -ge 100 ]] || die "--max must be a number >= 100"
[[ "$at_viewers" =~ ^[0-9]+$ && "$at_viewers" -ge 1 ]] || die "--at must be a number >= 1"
all_series="callcast callcast_repair_off callcast_phones callcast_webrtc peer limit callcast_2w"
for key in ${series//,/ }; do
  [[ " $all_series " == *" $key "* ]] || die "unknown series: $key (of: $all_series)"
done
wanted() { # KEY: in --series (or no --series)
  [ -z "$series" ] || [[ ",$series," == *",$1,"* ]]
}

# --- Debian packages the peers and the plot need (the same way as `make deps`) ---------------
needed_packages=(libgstrtspserver-1.0-dev gnuplot-nox pkg-config g++ python3)
missing=()
for package in "${needed_packages[@]}"; do
  dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q 'install ok installed' ||
    missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    sudo=()
  elif command -v sudo >/dev/null; then
    sudo=(sudo)
  else
    die "missing Debian packages: ${missing[*]} (run as root or install sudo)"
  fi
  say "installing ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    "${missing[@]}" >&2
fi

# --- The build to measure ----------------------------------------------------------------------
if [ -z "$build_dir" ]; then
  if [ -x build/release/apps/callcast-bench/callcast-bench ]; then
    build_dir=build/release
  else
    build_dir=build/dev
  fi
fi
bench=${bench:-$build_dir/apps/callcast-bench/callcast-bench}
[ -x "$bench" ] || die "no $bench: build first (make build, or cmake --preset release && cmake --build --preset release)"
case "$build_dir" in
  *release*) say "measuring $build_dir (release, -O2)" ;;
  *) say "measuring $build_dir (not a release build: callcast's figures are a floor; build/release is preferred when it exists)" ;;
esac

# --- The two peers, rebuilt when missing or older than their source ---------------------------
peer_dir=build/bench-peers
mkdir -p "$peer_dir"
peer_binary=$peer_dir/callcast-peer-gst
limit_binary=$peer_dir/callcast-limit-relay
build_if_stale() { # BINARY SOURCE COMPILER-COMMAND...
  local binary=$1 source=$2
  shift 2
  if [ ! -x "$binary" ] || [ "$source" -nt "$binary" ]; then
    say "building $binary"
    "$@" -o "$binary.tmp" && mv "$binary.tmp" "$binary"
  fi
}
# shellcheck disable=SC2046  # pkg-config prints several flags on purpose
build_if_stale "$peer_binary" bench/peers/gst_shared_relay.c \
  cc -std=c11 -O2 -Wall -Wextra bench/peers/gst_shared_relay.c \
  $(pkg-config --cflags --libs gstreamer-rtsp-server-1.0 gstreamer-1.0)
build_if_stale "$limit_binary" bench/peers/limit_relay.cpp \
  c++ -std=c++20 -O2 -Wall -Wextra bench/peers/limit_relay.cpp

# --- CPUs: the server and the bench on different cores ----------------------------------------
cpus=$(nproc)
[ "$cpus" -ge 2 ] || die "needs at least 2 CPUs (server and bench on different cores); this machine has $cpus"
server_cpu=0
if [ "$cpus" -ge 3 ]; then
  bench_cpus=$(seq -s, 1 $((cpus - 1)))
  two_worker_server=0,1
  two_worker_bench=$(seq -s, 2 $((cpus - 1)))
  two_worker_note=""
else
  bench_cpus=1
  two_worker_server=0,1
  two_worker_bench=1
  two_worker_note="shared core: bench competes"
fi

# --- Scratch, results, and cleanup of whatever is still running -------------------------------
stamp=$(date +%Y%m%d-%H%M%S)
results_dir=bench/results
mkdir -p "$results_dir"
csv=$results_dir/fanout-$stamp.csv
work=$(mktemp -d "${TMPDIR:-/tmp}/callcast-fanout.XXXXXX")
manifest=$work/manifest.jsonl
: >"$manifest"
bench_pid=""
cleanup() {
  if [ -n "$bench_pid" ] && kill -0 "$bench_pid" 2>/dev/null; then
    say "stopping callcast-bench (pid $bench_pid)"
    kill -TERM "$bench_pid" 2>/dev/null || true
    # timeout(1) passes SIGTERM on and SIGKILLs after its --kill-after; wait for that, bounded.
    for _ in $(seq 1 150); do
      kill -0 "$bench_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$bench_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT
trap 'say "terminated"; exit 143' TERM

# Runs callcast-bench media in the background (so the traps can stop it), bounded by TIMEOUT.
run_bench() { # TIMEOUT OUT-FILE ARGS...
  local limit=$1 out=$2 rc=0
  shift 2
  timeout --kill-after=15 "$limit" "$bench" media --json-only "$@" >"$out" &
  bench_pid=$!
  wait "$bench_pid" || rc=$?
  bench_pid=""
  return "$rc"
}

target_args() { # TARGET
  case "$1" in
    peer) echo "--peer-binary $peer_binary" ;;
    limit) echo "--limit-binary $limit_binary" ;;
  esac
}

# A ramp runs at most ~log2(max/100) doubling runs plus a few bisecting ones; each one ramps up
# to max viewers at 500/s, settles 2 s, measures, and restarts the server.
ramp_timeout=$((16 * (max_viewers / ramp_rate + duration + 20)))
single_timeout=$((at_viewers / ramp_rate + duration + 90))
failures=0

# The extra callcast-bench flags of a series: repair off is one line of callcastd's [media] table.
series_args() { # KEY
  case "$1" in
    callcast_repair_off) echo "--media-config rtx_window_ms=0" ;;
    callcast_phones) echo "--phones" ;;
    callcast_webrtc) echo "--webrtc-viewers" ;;
  esac
}

# KEY LABEL TARGET WORKERS SERVER-CPUS BENCH-CPUS NOTE
ramp() {
  local key=$1 label=$2 target=$3 workers=$4 server_cpus=$5 bench_cpus_here=$6 note=$7
  local out=$work/$key.ramp.jsonl status=ok rc=0
  wanted "$key" || return 0
  say "ramp: $label (server CPUs $server_cpus, bench CPUs $bench_cpus_here) ..."
  # shellcheck disable=SC2046
  run_bench "$ramp_timeout" "$out" --target "$target" --ramp-to-limit --csv "$csv" \
    --workers "$workers" --server-cpus "$server_cpus" --bench-cpus "$bench_cpus_here" \
    --duration "$duration" --precision "$precision" --max "$max_viewers" \
    --start "$start_viewers" --ramp-rate "$ramp_rate" $(target_args "$target") \
    $(series_args "$key") || rc=$?
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    status="timed out after ${ramp_timeout}s"
  elif [ "$rc" = 3 ]; then
    status="bench failed (its own descriptors, sockets or ports): see bench_failures"
  elif [ "$rc" != 0 ]; then
    status="callcast-bench exited $rc"
  fi
  [ "$status" = ok ] || { say "ramp $label: $status"; failures=$((failures + 1)); }
  printf '{"key":"%s","kind":"ramp","label":"%s","target":"%s","workers":%s,"server_cpus":"%s","bench_cpus":"%s","note":"%s","status":"%s","file":"%s"}\n' \
    "$key" "$label" "$target" "$workers" "$server_cpus" "$bench_cpus_here" "$note" "$status" "$out" >>"$manifest"
}

# KEY TARGET: one run with 1,000 (--at) viewers, server on CPU 0, 1 worker.
at_thousand() {
  local key=$1 target=$2 out=$work/$1.at1000.jsonl status=ok rc=0
  wanted "$key" || return 0
  say "$at_viewers viewers: $key ..."
  # shellcheck disable=SC2046
  run_bench "$single_timeout" "$out" --target "$target" --viewers "$at_viewers" --workers 1 \
    --server-cpus "$server_cpu" --bench-cpus "$bench_cpus" --duration "$duration" \
    --ramp-rate "$ramp_rate" $(target_args "$target") $(series_args "$key") || rc=$?
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    status="timed out after ${single_timeout}s"
  elif [ "$rc" = 3 ]; then
    status="bench failed (its own descriptors, sockets or ports): see bench_failures"
  elif [ "$rc" != 0 ]; then
    status="callcast-bench exited $rc"
  fi
  [ "$status" = ok ] || { say "$at_viewers viewers $key: $status"; failures=$((failures + 1)); }
  printf '{"key":"%s","kind":"at1000","target":"%s","status":"%s","file":"%s"}\n' \
    "$key" "$target" "$status" "$out" >>"$manifest"
}

started=$(date +%s)
ramp callcast "callcast 1 worker" callcast 1 "$server_cpu" "$bench_cpus" ""
ramp callcast_repair_off "callcast 1 worker, repair off" callcast 1 "$server_cpu" "$bench_cpus" ""
ramp callcast_phones "callcast 1 worker, phone viewers" callcast 1 "$server_cpu" "$bench_cpus" ""
ramp callcast_webrtc "callcast 1 worker, WebRTC viewers (SRTP)" callcast 1 "$server_cpu" \
  "$bench_cpus" ""
ramp peer "gst-rtsp-server peer" peer 1 "$server_cpu" "$bench_cpus" ""
ramp limit "sendmmsg limit" limit 1 "$server_cpu" "$bench_cpus" ""
ramp callcast_2w "callcast 2 workers" callcast 2 "$two_worker_server" "$two_worker_bench" \
  "$two_worker_note"
at_thousand callcast callcast
at_thousand callcast_repair_off callcast
at_thousand callcast_webrtc callcast
at_thousand peer peer
at_thousand limit limit
say "all runs done in $(($(date +%s) - started)) s"

python3 bench/fanout_report.py --manifest "$manifest" --csv "$csv" \
  --png "$results_dir/fanout-$stamp.png" --runs "$results_dir/fanout-$stamp.jsonl" \
  --latest "$results_dir/latest.json" --build-dir "$build_dir" --quick "$quick" \
  --duration "$duration" --precision "$precision" --max "$max_viewers" --cpus "$cpus" \
  --wall-s "$(($(date +%s) - started))" --at "$at_viewers"
[ "$failures" = 0 ] || exit 1
