# The spec's HTTP GET, as MicroPython writes it: http_get.py HOST PORT PATH
# (run over ustack: python3 -m ustack http_get.py HOST PORT PATH -- DEVICE OPTIONS).
import sys

import usocket

host, port, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = usocket.socket()
s.connect(usocket.getaddrinfo(host, port, 0, usocket.SOCK_STREAM)[0][-1])
s.write(b"GET %s HTTP/1.0\r\nHost: %s\r\n\r\n" % (path.encode(), host.encode()))
page = s.read()  # to the end of the stream
s.close()
sys.stdout.buffer.write(page)
