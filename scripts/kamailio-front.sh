#!/bin/sh
# Kamailio as callcast's SIP front (config/kamailio/kamailio.cfg; README "Kamailio in front"):
# writes the dispatcher list of the signaling nodes into --dir and runs Kamailio there in the
# foreground, logging to stderr. The script execs Kamailio, so its PID is Kamailio's main
# process (SIGTERM stops it and its workers). Its PID file, control socket and list stay in
# --dir, so several fronts on one machine (network namespaces) never meet.
#
#   scripts/kamailio-front.sh --listen 10.99.0.1 --node 10.99.0.2:5060 --node 10.99.0.3:5060 \
#     --dir /tmp/front [--port 5060] [--service-number 777] [--ping-interval 2] [--shm-mb 256]
#     [--check]
#
# --shm-mb: Kamailio's shared memory (its transactions live there). 32 MB ran out at about 400
# calls in flight (bench/sip_cluster.py: INVITEs answered "500 No error (2/SL)", "cannot allocate
# shmem buffer" in its log); 256 MB holds thousands.
#
# Then, while it runs:
#   kamcmd -s unix:/tmp/front/kamailio_ctl dispatcher.list           # the nodes: FLAGS AP up, IP down
#   kamcmd -s unix:/tmp/front/kamailio_ctl dispatcher.hash 2 s:13800000001  # slot of a number
set -eu
PATH="$PATH:/usr/sbin:/sbin"  # where Debian puts kamailio, not in every user's PATH

here=$(cd "$(dirname "$0")" && pwd)
config="$here/../config/kamailio/kamailio.cfg"
listen=""
port=5060
service=777
dir=""
ping=2
shm=256
nodes=""
check=0

usage() {
  sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
fail() {
  echo "kamailio-front: $*" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --listen) [ $# -ge 2 ] || usage; listen=$2; shift 2 ;;
    --port) [ $# -ge 2 ] || usage; port=$2; shift 2 ;;
    --node) [ $# -ge 2 ] || usage; nodes="$nodes $2"; shift 2 ;;
    --service-number) [ $# -ge 2 ] || usage; service=$2; shift 2 ;;
    --dir) [ $# -ge 2 ] || usage; dir=$2; shift 2 ;;
    --ping-interval) [ $# -ge 2 ] || usage; ping=$2; shift 2 ;;
    --shm-mb) [ $# -ge 2 ] || usage; shm=$2; shift 2 ;;
    --check) check=1; shift ;;
    -h|--help) usage ;;
    *) fail "unknown argument '$1' (see --help)" ;;
  esac
done

is_ipv4() {
  echo "$1" | grep -Eq '^([0-9]{1,3}\.){3}[0-9]{1,3}$'
}
is_number() {
  echo "$1" | grep -Eq '^[0-9]+$'
}
[ -n "$listen" ] || fail "--listen ADDRESS is required (the IPv4 address terminals call)"
is_ipv4 "$listen" || fail "--listen '$listen' is not an IPv4 address"
is_number "$port" && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] || fail "--port '$port' is not a port"
is_number "$service" || fail "--service-number '$service' is not a number"
is_number "$ping" && [ "$ping" -ge 1 ] || fail "--ping-interval '$ping' is not a number of seconds"
is_number "$shm" && [ "$shm" -ge 16 ] || fail "--shm-mb '$shm' is not a number of megabytes (>= 16)"
[ -n "$nodes" ] || fail "at least one --node HOST:PORT (a callcastd signaling node) is required"
[ -n "$dir" ] || fail "--dir DIRECTORY is required (PID file, control socket, dispatcher list)"
command -v kamailio >/dev/null 2>&1 || fail "kamailio is not installed (Debian package kamailio)"

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
list="$dir/dispatcher.list"
# Set 1, one line per node in the order given: `1 sip:HOST:PORT 0 0 duid=HOST:PORT`.
: > "$list"
for node in $nodes; do
  host=${node%:*}
  node_port=${node##*:}
  { [ "$host" != "$node" ] && is_ipv4 "$host" && is_number "$node_port"; } ||
    fail "--node '$node' is not IPV4:PORT"
  echo "1 sip:$node 0 0 duid=$node" >> "$list"
done

set -- -f "$config" -DD -E -m "$shm" -M 8 -Y "$dir" -P "$dir/kamailio.pid" -w "$dir" \
  -A "CALLCAST_LISTEN=$listen" -A "CALLCAST_SIP_PORT=$port" \
  -A "CALLCAST_SERVICE_NUMBER=\"$service\"" -A "CALLCAST_PING_INTERVAL=$ping" \
  -A "CALLCAST_DISPATCHER_LIST=\"$list\"" -A "CALLCAST_CTL=\"unix:$dir/kamailio_ctl\""
if [ "$check" = 1 ]; then
  exec kamailio -c "$@"
fi
exec kamailio "$@"
