"""MicroPython's usocket over ustack (see the usocket spec; README "Python").

Errors are the built-in OSError: e.errno / e.args[0] is the errno, negative for getaddrinfo.
"""
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
