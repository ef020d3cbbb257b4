#!/bin/bash
# CurlDownloads100MiBFromUstackHttp: the kernel's curl fetches generated bodies (IPv4 100 MiB,
# IPv6 32 MiB) and files from `ustack serve http`, checks size and SHA-256, keep-alive reuse,
# and the 404/400 answers; then what curl users do with a directory server: byte ranges
# (-r, -C -), If-Modified-Since (-z), Date/Last-Modified, and absolute-form targets (-x,
# --request-target), bytes checked with cmp.
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

# Ranges, conditional requests and absolute-form on the directory service (issue 16).
FILE="$WORK/www/sub/random.bin"
touch -d '2020-01-01 00:00:00 UTC' "$FILE"
URL=http://198.18.0.2:8081/sub/random.bin
status() {  # status CURL_ARGS...: the HTTP status; the body in $WORK/got (absent if none)
  rm -f "$WORK/got"
  in_ns curl -sS -m 10 -o "$WORK/got" -w '%{http_code}' "$@"
}

check "curl -r 100-199 gets 206" test "$(status -r 100-199 "$URL")" = 206
tail -c +101 "$FILE" | head -c 100 >"$WORK/want"
check "  and exactly bytes 100..199" cmp "$WORK/got" "$WORK/want"
check "curl -r -1000 (the last 1000 bytes) over IPv6 gets 206" \
  test "$(status -r -1000 "http://[fd00:1::2]:8081/sub/random.bin")" = 206
check "  and exactly the file's tail" cmp "$WORK/got" <(tail -c 1000 "$FILE")
check "a range past the end gets 416" test "$(status -r 5000000- "$URL")" = 416
in_ns curl -sS -m 10 -I -r 0-9 "$URL" | tr -d '\r' >"$WORK/head"
sed 's/^/    /' "$WORK/head"
head_has() { grep -qx "$1" "$WORK/head"; }
head_is_partial() {
  head_has 'HTTP/1.1 206 Partial Content' && head_has 'Content-Range: bytes 0-9/5000000' &&
    head_has 'Content-Length: 10' && head_has 'Accept-Ranges: bytes'
}
check "HEAD with a range: 206, Content-Range, Content-Length 10, Accept-Ranges" head_is_partial
check "Last-Modified is the file's mtime" head_has 'Last-Modified: Wed, 01 Jan 2020 00:00:00 GMT'
date_hdr=$(sed -n 's/^Date: //p' "$WORK/head")
skew=$(($(date -u +%s) - $(date -u -d "$date_hdr" +%s 2>/dev/null || echo 0)))
date_is_now() {
  [[ $date_hdr =~ ^[A-Z][a-z]{2},\ [0-9]{2}\ [A-Z][a-z]{2}\ [0-9]{4}\ [0-9]{2}:[0-9]{2}:[0-9]{2}\ GMT$ ]] &&
    [ "${skew#-}" -le 5 ]
}
check "Date is an IMF-fixdate of now ('$date_hdr', ${skew}s off)" date_is_now

check "curl -z (If-Modified-Since) a date not older than the file gets 304" \
  test "$(status -z 'Wed, 01 Jan 2020 00:00:00 GMT' "$URL")" = 304
check "  with no body" test ! -s "$WORK/got"
check "curl -z a date one second older gets the file (200)" \
  test "$(status -z 'Tue, 31 Dec 2019 23:59:59 GMT' "$URL")" = 200
check "  all of it" cmp "$WORK/got" "$FILE"

head -c 1234567 "$FILE" >"$WORK/resumed"
check "curl -C - resumes a partial download (206)" test "$(in_ns curl -sS -m 20 -C - \
  -o "$WORK/resumed" -w '%{http_code}' "$URL")" = 206
check "  and the result is the file" cmp "$WORK/resumed" "$FILE"

check "curl -x (proxy-style absolute-form, another host name) gets the file" \
  test "$(status -x http://198.18.0.2:8081 http://www.example.invalid/hello.txt)" = 200
check "  its bytes" cmp "$WORK/got" "$WORK/www/hello.txt"
check "curl --request-target http://... (absolute-form) gets the file" \
  test "$(status --request-target http://198.18.0.2:8081/sub/random.bin "$URL")" = 200
check "  its bytes" cmp "$WORK/got" "$FILE"

c=$(dump_counters)
check "no connection failed on the ustack side" test "$(echo "$c" | counter Services connection_failed)" = 0
finish
