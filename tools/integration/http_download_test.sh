#!/bin/bash
# CurlDownloads100MiBFromUstackHttp: the kernel's curl fetches generated bodies (IPv4 100 MiB,
# IPv6 32 MiB) and files from `ustack serve http`, checks size and SHA-256, keep-alive reuse,
# and the 404/400 answers.
source "$(dirname "$0")/lib.sh"
setup_ns
mkdir -p "$WORK/www/sub"
head -c 5000000 /dev/urandom >"$WORK/www/sub/random.bin"
echo "hello from a file" >"$WORK/www/hello.txt"
start_serve http:8080 "http:8081:$WORK/www"

# sha256 of the generated 100 MiB body: b"".join(b"%015x\n" % k for k in range(0, N, 16)).
SHA_100MIB=ad8ac9df2192d490621cbaaf97fb85831c71e63a455d4c65ff609ef497c88df5

fetch_generated() {  # fetch_generated URL_HOST SIZE EXPECTED_SHA
  local out="$WORK/body" size sha
  rm -f "$out"
  in_ns curl -sS -m 60 -o "$out" "http://$1:8080/bytes/$2" || return 1
  size=$(stat -c %s "$out")
  sha=$(sha256sum "$out" | cut -d' ' -f1)
  echo "  $1: $size bytes, sha256 $sha"
  [ "$size" = "$2" ] && [ "$sha" = "$3" ]
}
check "a 1 MiB body matches the definition computed in Python" \
  test "$(generated_sha256 1048576)" = "$(head -c 1048576 <(in_ns curl -sS -m 20 \
  http://198.18.0.2:8080/bytes/1048576) | sha256sum | cut -d' ' -f1)"
check "curl gets 100 MiB over IPv4 with the right SHA-256" \
  fetch_generated 198.18.0.2 104857600 "$SHA_100MIB"
check "curl gets 32 MiB over IPv6 with the right SHA-256" \
  fetch_generated "[fd00:1::2]" 33554432 "$(generated_sha256 33554432)"

# HTTP/1.1 keep-alive: curl reuses the connection for the second URL (0 new connects).
conns=$(in_ns curl -sS -m 10 -o /dev/null -o /dev/null -w '%{num_connects} ' \
  http://198.18.0.2:8080/bytes/1000 http://198.18.0.2:8080/bytes/2000)
check "keep-alive: two requests on one connection (connects: $conns)" test "$conns" = "1 0 "

code() { in_ns curl -sS -m 10 -o /dev/null -w '%{http_code}' "$1"; }
check "unknown path is 404" test "$(code http://198.18.0.2:8080/nope)" = 404
check "bad size is 400" test "$(code http://198.18.0.2:8080/bytes/12k)" = 400
reply=$(printf 'NONSENSE\r\n\r\n' | in_ns nc -N -w 5 198.18.0.2 8080 | head -1 | tr -d '\r')
check "malformed request line gets 400 ($reply)" test "$reply" = "HTTP/1.1 400 Bad Request"

# Directory service: files byte for byte, a listing, 404 for a missing file, no escape.
got=$(in_ns curl -sS -m 20 "http://[fd00:1::2]:8081/sub/random.bin" | sha256sum | cut -d' ' -f1)
check "file from the directory matches" test "$got" = "$(sha256sum <"$WORK/www/sub/random.bin" | cut -d' ' -f1)"
check "small file" test "$(in_ns curl -sS -m 5 http://198.18.0.2:8081/hello.txt)" = "hello from a file"
check "directory listing names the files" \
  bash -c "ip netns exec $NS curl -sS -m 5 http://198.18.0.2:8081/ | grep -q 'href=\"hello.txt\"'"
check "missing file is 404" test "$(code http://198.18.0.2:8081/missing)" = 404
check "path escaping the directory is 400" \
  test "$(in_ns curl -sS -m 5 --path-as-is -o /dev/null -w '%{http_code}' \
  'http://198.18.0.2:8081/sub/../../etc/passwd')" = 400

c=$(dump_counters)
check "no connection failed on the ustack side" test "$(echo "$c" | counter Services connection_failed)" = 0
finish
