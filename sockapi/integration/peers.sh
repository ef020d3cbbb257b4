# Kernel-side peers of the usocket examples, shared by the C++ (sockapi/integration) and the
# Python (python/integration) tests. Sourced after tools/integration/lib.sh (in_ns, bg_ns,
# wait_listen, WORK); the ustack under test serves on 198.18.0.2 or connects from 198.18.1.2.

# echo_client SIZE: SIZE random bytes from the kernel to 198.18.0.2:7, then a half-close;
# prints "SIZE True" when the same bytes came back.
echo_client() {
  in_ns python3 - "$1" <<'PY'
import os, socket, sys
data = os.urandom(int(sys.argv[1]))
s = socket.create_connection(("198.18.0.2", 7), timeout=10)
s.sendall(data)
s.shutdown(socket.SHUT_WR)
got = b""
while chunk := s.recv(65536):
    got += chunk
print(len(got), got == data)
PY
}

# echo_clients N SIZE: N kernel clients connect to 198.18.0.2:7, all of them before any sends
# (so the server holds them all at once), each sends SIZE bytes; prints how many got theirs back.
echo_clients() {
  in_ns python3 - "$1" "$2" <<'PY'
import os, socket, sys, threading
N, SIZE = int(sys.argv[1]), int(sys.argv[2])
ok = []
ready = threading.Barrier(N)
def client():
    data = os.urandom(SIZE)
    s = socket.create_connection(("198.18.0.2", 7), timeout=20)
    ready.wait()
    s.sendall(data)
    got = b""
    while len(got) < SIZE and (chunk := s.recv(65536)):
        got += chunk
    s.close()
    ok.append(got == data)
threads = [threading.Thread(target=client) for _ in range(N)]
for t in threads: t.start()
for t in threads: t.join()
print(sum(ok))
PY
}

# udp_ping: "ping over ustack" to 198.18.0.2:7 over UDP; prints the answer.
udp_ping() {
  in_ns python3 - <<'PY'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.sendto(b"ping over ustack", ("198.18.0.2", 7))
print(s.recvfrom(100)[0].decode())
PY
}

# start_web: dnsmasq (web.ustack.test is 198.18.1.1, log in $WORK/dnsmasq.log) and python's
# http.server on 198.18.1.1:8080 serving $WORK/www/page.bin (200000 random bytes).
start_web() {
  mkdir -p "$WORK/www"
  head -c 200000 /dev/urandom >"$WORK/www/page.bin"
  printf 'local=/ustack.test/\nhost-record=web.ustack.test,198.18.1.1\n' >"$WORK/dnsmasq.conf"
  bg_ns dnsmasq --no-daemon --no-resolv --no-hosts --bind-interfaces --port 53 \
    --listen-address=198.18.1.1 --conf-file="$WORK/dnsmasq.conf" --user=root --log-queries \
    --log-facility=- >"$WORK/dnsmasq.log" 2>&1
  bg_ns python3 -m http.server --bind 198.18.1.1 --directory "$WORK/www" 8080 \
    >"$WORK/http.log" 2>&1
  wait_listen 8080
  for _ in $(seq 50); do in_ns ss -Hlun "sport = :53" | grep -q . && break; sleep 0.1; done
}

# check_page WHAT FILE: FILE is an HTTP 200 response whose body is page.bin, byte for byte.
check_page() {
  check "$1: HTTP 200" grep -qa "^HTTP/1.0 200 OK" "$2"
  local body_sha
  body_sha=$(python3 -c 'import sys,hashlib; d=open(sys.argv[1],"rb").read(); print(hashlib.sha256(d[d.index(b"\r\n\r\n")+4:]).hexdigest())' "$2")
  check "$1: the body is the page, byte for byte" \
    test "$body_sha" = "$(sha256sum "$WORK/www/page.bin" | cut -d' ' -f1)"
  check "$1: the name was asked of dnsmasq by ustack (198.18.1.2)" \
    grep -q "query\[A\] web.ustack.test from 198.18.1.2" "$WORK/dnsmasq.log"
}

# check_classic_errors FILE: FILE is classic_errors' output (C++ or Python, the same lines):
# each classic mistake raised Linux's errno (connecting to KERNEL_ADDR 9: the kernel's RST).
check_classic_errors() {
  expect_line() { grep -qF -- "$1" "$ERRORS"; }
  ERRORS="$1"
  check "ECONNREFUSED from the kernel's RST" expect_line "connect to a closed port: [Errno 111] ECONNREFUSED"
  check "EBADF after close" expect_line "recv on a closed socket: [Errno 9] EBADF"
  check "EPIPE on send before connect" expect_line "send before connect: [Errno 32] EPIPE"
  check "EAGAIN when non-blocking" expect_line "non-blocking recv with nothing to read: [Errno 11] EAGAIN"
  check "ETIMEDOUT after a timeout" expect_line "recv with a 0.2 s timeout: [Errno 110] ETIMEDOUT"
  check "EADDRINUSE at bind" expect_line "bind to a port in use: [Errno 98] EADDRINUSE"
  check "EINVAL for accept without listen" expect_line "accept without listen: [Errno 22] EINVAL"
  check "EAFNOSUPPORT for the wrong family" \
    expect_line "an IPv6 address on an IPv4 socket: [Errno 97] EAFNOSUPPORT"
  check "EINVAL for a name where an address is needed" \
    expect_line "a host name where a numeric address is needed: [Errno 22] EINVAL"
}
