# The classic mistakes and the OSError each one raises, as a MicroPython program sees them:
# classic_errors.py KERNEL_ADDR CLOSED_PORT (a host on the link, a TCP port nothing listens on).
import sys

import usocket


def show(what, f):
    try:
        f()
        print("%s: no error" % what)
    except OSError as e:
        print("%s: %s" % (what, e))


def closed_recv():
    s = usocket.socket()
    s.close()
    s.recv(10)


def udp_recv(timeout):
    s = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 0))
    s.settimeout(timeout)
    s.recv(10)


def bind_twice():
    a, b = usocket.socket(), usocket.socket()
    a.bind(("0.0.0.0", 4444))
    b.bind(("0.0.0.0", 4444))


closed = usocket.getaddrinfo(sys.argv[1], int(sys.argv[2]))[0][-1]
show("connect to a closed port", lambda: usocket.socket().connect(closed))
show("recv on a closed socket", closed_recv)
show("send before connect", lambda: usocket.socket().send(b"x"))
show("non-blocking recv with nothing to read", lambda: udp_recv(0))
show("recv with a 0.2 s timeout", lambda: udp_recv(0.2))
show("bind to a port in use", bind_twice)
show("accept without listen", lambda: usocket.socket().accept())
show("an IPv6 address on an IPv4 socket", lambda: usocket.socket().connect(("fd00::1", 80, 0, 0)))
show("a host name where a numeric address is needed",
     lambda: usocket.socket().connect(("example.invalid", 80)))
