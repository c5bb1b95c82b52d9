#!/usr/bin/env bash
# bench/loss.sh: viewers behind a lossy path with 50 ms RTT (issue 12), side by side: callcastd
# with repair off, callcastd with repair on, gst-rtsp-server with RTX; viewers `callcast watch`,
# GStreamer rtspsrc and ffmpeg. Frames clean/decoded, retransmissions, extra bandwidth and
# glass-to-glass latency per loss level; a table and, as the last stdout line, one JSON object;
# CSV, JSONL and PNG under bench/results/. See bench/README.md ("Loss benchmark").
#
#   bench/loss.sh [--quick] [--build-dir DIR] [--duration S] [--rtt-ms MS]
#                 [--levels 0,1,2,5,10,burst5] [--modes off,on,peer]
#                 [--viewers callcast,gstreamer,ffmpeg] [--seed N] [--keep-dir]
#
# Needs root (network namespaces, iptables NFQUEUE). Progress goes to stderr.
set -euo pipefail

say() { printf 'loss: %s\n' "$*" >&2; }
die() {
  printf 'loss: error: %s\n' "$*" >&2
  exit 1
}

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

build_dir=""
passthrough=()
while [ $# -gt 0 ]; do
  case "$1" in
    --build-dir) [ $# -ge 2 ] || die "--build-dir needs a value"; build_dir=$2; shift ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) passthrough+=("$1") ;;
  esac
  shift
done
[ "$(id -u)" = 0 ] || die "needs root (network namespaces, iptables NFQUEUE)"

# --- Debian packages (the same way as `make deps`; libnetfilter-queue-dev is the bench's own) ---
needed_packages=(libnetfilter-queue-dev libgstrtspserver-1.0-dev gnuplot-nox pkg-config g++
  python3 iptables iproute2 curl ffmpeg gstreamer1.0-tools gstreamer1.0-plugins-good
  gstreamer1.0-plugins-ugly gstreamer1.0-libav)
missing=()
for package in "${needed_packages[@]}"; do
  dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q 'install ok installed' ||
    missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  env DEBIAN_FRONTEND=noninteractive apt-get update >&2
  env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2
fi

# --- The build to measure -----------------------------------------------------------------------
if [ -z "$build_dir" ]; then
  if [ -x build/release/apps/callcastd/callcastd ] && [ -x build/release/apps/callcast/callcast ]; then
    build_dir=build/release
  else
    build_dir=build/dev
  fi
fi
[ -x "$build_dir/apps/callcastd/callcastd" ] && [ -x "$build_dir/apps/callcast/callcast" ] ||
  die "no callcastd/callcast in $build_dir: cmake --preset release && cmake --build --preset release --target callcastd callcast"
case "$build_dir" in
  *release*) say "measuring $build_dir (release)" ;;
  *) say "measuring $build_dir (not a release build)" ;;
esac

# --- The peer and the lossy path, rebuilt when missing or older than their source --------------
peer_dir=build/bench-peers
mkdir -p "$peer_dir"
build_if_stale() { # BINARY SOURCE COMPILER-COMMAND...
  local binary=$1 source=$2
  shift 2
  if [ ! -x "$binary" ] || [ "$source" -nt "$binary" ]; then
    say "building $binary"
    "$@" -o "$binary.tmp" && mv "$binary.tmp" "$binary"
  fi
}
# shellcheck disable=SC2046  # pkg-config prints several flags on purpose
build_if_stale "$peer_dir/callcast-peer-gst" bench/peers/gst_shared_relay.c \
  cc -std=c11 -O2 -Wall -Wextra bench/peers/gst_shared_relay.c \
  $(pkg-config --cflags --libs gstreamer-rtsp-server-1.0 gstreamer-1.0)
# shellcheck disable=SC2046
build_if_stale "$peer_dir/callcast-lossy-path" bench/lossy_path/lossy_path.cpp \
  c++ -std=c++20 -O2 -Wall -Wextra -Wshadow -Wconversion bench/lossy_path/lossy_path.cpp \
  $(pkg-config --cflags --libs libnetfilter_queue)

# loss.py makes the lab and removes it (namespaces named after its PID) on exit, Ctrl-C and
# SIGTERM, and stops only the processes it started; exec keeps the PID the caller knows.
exec python3 bench/loss.py --build-dir "$build_dir" --peer "$peer_dir/callcast-peer-gst" \
  --lossy-path "$peer_dir/callcast-lossy-path" "${passthrough[@]}"
