"""MicroPython's usocket over ustack (see the usocket spec; README "Python").

Errors are the built-in OSError: e.errno / e.args[0] is the errno, negative for getaddrinfo.
"""
import io

from _ustack import socket, getaddrinfo, inet_ntop, inet_pton  # noqa: F401
import _ustack

for _name in dir(_ustack):
    if _name.isupper():
        globals()[_name] = getattr(_ustack, _name)

# CPython's aliases, so simple CPython scripts run too (MicroPython has no usocket.error).
error = OSError
timeout = TimeoutError


def create_connection(address, timeout=None):
    """CPython's socket.create_connection, over getaddrinfo and socket."""
    host, port = address[:2]
    err = None
    for af, type_, proto, _, addr in getaddrinfo(host, port, 0, SOCK_STREAM):  # noqa: F821
        s = socket(af, type_, proto)
        try:
            s.settimeout(timeout)
            s.connect(addr)
            return s
        except OSError as e:
            s.close()
            err = e
    raise err if err else OSError(-2, "Name or service not known")


def _fileno(self):
    """A ustack socket has no file descriptor: its packets are ustack's, not the kernel's.

    CPython's answer for an object without one (io.UnsupportedOperation, an OSError and a
    ValueError) rather than a made-up number, which selectors, asyncio, ssl or os.* would take
    for a kernel fd (someone else's, or stdin). select.select() takes the sockets themselves.
    """
    raise io.UnsupportedOperation("fileno: a ustack socket has no file descriptor; "
                                  "wait for it with select.select() or uselect.poll()")


socket.fileno = _fileno
