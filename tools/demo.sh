#!/bin/bash
# The ustack demo (README quick start). In a fresh network namespace it brings ustack up on a
# TUN device, lets the Linux kernel talk to it the way any host would, and decodes what
# crossed the wire with ustack's own parsers:
#   1. ping and ping -6 (ICMP echo, also fragmented) from the kernel to ustack;
#   2. curl fetches a generated body from ustack's HTTP server, over IPv4 and IPv6;
#   3. ustack's echo services answer nc over TCP and UDP, and its DNS server answers dig;
#   4. a second ustack resolves a name through the first one's DNS server and downloads from
#      a kernel-side HTTP server by that name;
#   5. `ustack dump` prints the capture ustack recorded with --pcap, and the counters.
# Everything happens inside namespace ustdemo<pid>, removed at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh

echo "== building ustack (bazel build -c opt //tools:ustack)"
bazel build -c opt //tools:ustack 2>&1 | grep -E "^(ERROR|FAILED)|error:" && exit 1
USTACK="$(bazel info -c opt bazel-bin 2>/dev/null)/tools/ustack"

NS="ustdemo$$"
TMP=$(mktemp -d /tmp/ustack-demo.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  ip netns delete "$NS" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT
run() { echo "+ $*"; "$@"; }
in_ns() { ip netns exec "$NS" "$@"; }

echo
echo "== ustack serve: TUN ust0 in namespace $NS; kernel side 198.18.0.1, fd00:1::1; ustack 198.18.0.2, fd00:1::2"
"$USTACK" serve --netns "$NS" --tun ust0 --addr 198.18.0.2/24 --addr fd00:1::2/64 \
  --peer 198.18.0.1/24 --peer fd00:1::1/64 --gw 198.18.0.1 --pcap "$TMP/demo.pcap" --seed 1 \
  --host-record files.demo.test,198.18.0.1,300 \
  http:80 echo:7 udp-echo:7 dns:53 >"$TMP/ustack.log" 2>&1 &
USTACK_PID=$!
PIDS+=("$USTACK_PID")
for _ in $(seq 100); do grep -q ready "$TMP/ustack.log" 2>/dev/null && break; sleep 0.1; done
cat "$TMP/ustack.log"
for _ in $(seq 30); do in_ns ping -c 1 -W 1 fd00:1::2 >/dev/null 2>&1 && break; done

echo
echo "== 1. the kernel pings ustack"
run in_ns ping -c 3 -i 0.2 198.18.0.2
run in_ns ping -c 2 -i 0.2 -s 3000 198.18.0.2
run in_ns ping -6 -c 3 -i 0.2 fd00:1::2

echo
echo "== 2. curl fetches 1 MiB from ustack's HTTP server"
run in_ns curl -sS -o /dev/null -w "IPv4: %{http_code}, %{size_download} bytes in %{time_total} s\n" \
  http://198.18.0.2/bytes/1048576
run in_ns curl -sS -o /dev/null -w "IPv6: %{http_code}, %{size_download} bytes in %{time_total} s\n" \
  "http://[fd00:1::2]/bytes/1048576"

echo
echo "== 3. nc talks to ustack's echo services (TCP and UDP); dig asks ustack's DNS server"
echo "hello from the kernel" | run in_ns nc -N 198.18.0.2 7
echo "a datagram from the kernel" | run in_ns socat -t1 - UDP:198.18.0.2:7
run in_ns dig +noall +answer @198.18.0.2 files.demo.test A

echo
echo "== 4. a second ustack resolves files.demo.test through the first one and downloads a file"
echo "   from the kernel-side HTTP server (python3 -m http.server) by that name"
mkdir -p "$TMP/www"
head -c 2000000 /dev/urandom >"$TMP/www/blob"
in_ns python3 -m http.server 8000 --bind 198.18.0.1 --directory "$TMP/www" >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do in_ns ss -ltn | grep -q ":8000 " && break; sleep 0.1; done
# A second ustack, on its own TUN (ust1, 198.18.1.2) in the same namespace, is the client; the
# kernel routes between the two TUNs, so it reaches the first ustack's DNS server.
in_ns sysctl -qw net.ipv4.ip_forward=1
CLIENT=(--netns "$NS" --tun ust1 --addr 198.18.1.2/24 --peer 198.18.1.1/24 --gw 198.18.1.1
  --nameserver 198.18.0.2)
run "$USTACK" resolve "${CLIENT[@]}" files.demo.test
printf 'GET /blob HTTP/1.0\r\n\r\n' | run "$USTACK" connect "${CLIENT[@]}" files.demo.test 8000 \
  >"$TMP/resp"
/usr/bin/python3 - "$TMP/resp" "$TMP/www/blob" <<'PY'
import hashlib, sys
head, _, body = open(sys.argv[1], "rb").read().partition(b"\r\n\r\n")
status = head.split(b"\r\n")[0].decode()
verdict = "matches" if body == open(sys.argv[2], "rb").read() else "DIFFERS FROM"
print(f"{status}: {len(body)} bytes, sha256 {hashlib.sha256(body).hexdigest()[:16]}..., {verdict} the file served")
PY

echo
echo "== 5. stop ustack (SIGINT prints its counters) and decode its capture with ustack dump"
kill -INT "$USTACK_PID"
wait "$USTACK_PID" || true
PIDS=()
sed -n '/counters at exit/,$p' "$TMP/ustack.log"
echo
echo "+ $USTACK dump $TMP/demo.pcap"
"$USTACK" dump "$TMP/demo.pcap" >"$TMP/dump.txt"
head -45 "$TMP/dump.txt"
echo "… $(wc -l <"$TMP/dump.txt") lines in all (ustack dump -v shows every field); the last one:"
tail -1 "$TMP/dump.txt"
