#!/bin/bash
# UstackConnectDownloadsFromKernelHttpServer / UploadsToKernelNc: `ustack connect` against
# kernel-side servers in the namespace, IPv4 and IPv6, every byte checked with SHA-256.
source "$(dirname "$0")/lib.sh"
setup_ns
mkdir -p "$WORK/srv"
head -c 20000000 /dev/urandom >"$WORK/srv/file"
WANT=$(sha256sum <"$WORK/srv/file" | cut -d' ' -f1)

# python3 -m http.server bound to :: serves IPv4 (mapped) and IPv6.
bg_ns python3 -m http.server 8000 --bind :: --directory "$WORK/srv"
wait_listen 8000

download() {  # download HOST: GET /file through ustack connect, body's sha256 (headers cut)
  printf 'GET /file HTTP/1.0\r\nHost: ustack\r\n\r\n' |
    "${CONNECT[@]}" "$1" 8000 >"$WORK/resp" 2>"$WORK/connect.err"
  local rc=$?
  [ $rc = 0 ] || { echo "  ustack connect exited $rc: $(cat "$WORK/connect.err")"; return 1; }
  /usr/bin/python3 -c '
import hashlib, sys
data = open(sys.argv[1], "rb").read()
head, _, body = data.partition(b"\r\n\r\n")
print(head.split(b"\r\n")[0].decode(), len(body), hashlib.sha256(body).hexdigest())' "$WORK/resp"
}
out=$(download 198.18.1.1)
echo "  IPv4: $out"
check "ustack connect downloads 20 MB from python http.server over IPv4" \
  test "$out" = "HTTP/1.0 200 OK 20000000 $WANT"
out=$(download fd00:2::1)
echo "  IPv6: $out"
check "ustack connect downloads 20 MB from python http.server over IPv6" \
  test "$out" = "HTTP/1.0 200 OK 20000000 $WANT"

# Upload: stdin to a kernel `nc -l`, which writes what it receives and exits at our FIN.
upload() {  # upload HOST PORT FAMILY(-4|-6)
  rm -f "$WORK/got"
  bg_ns nc -l -n "$3" "$2" >"$WORK/got"
  local nc_pid=$BG_PID
  wait_listen "$2"
  "${CONNECT[@]}" "$1" "$2" <"$WORK/srv/file" >/dev/null 2>"$WORK/connect.err" ||
    { echo "  ustack connect failed: $(cat "$WORK/connect.err")"; return 1; }
  for _ in $(seq 100); do kill -0 "$nc_pid" 2>/dev/null || break; sleep 0.1; done
  [ "$(sha256sum <"$WORK/got" | cut -d' ' -f1)" = "$WANT" ]
}
check "ustack connect uploads 20 MB to kernel nc over IPv4" upload 198.18.1.1 7000 -4
check "ustack connect uploads 20 MB to kernel nc over IPv6" upload fd00:2::1 7006 -6
finish
