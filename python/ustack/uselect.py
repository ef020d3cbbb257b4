"""MicroPython's uselect over ustack: poll() with register/modify/unregister/poll/ipoll, and
select() (MicroPython's uselect.select, CPython's select.select) built on poll().

poll() returns (socket, event) tuples (MicroPython's objects, not CPython's file numbers).
"""
import errno as _errno

import _ustack
from _ustack import poll, POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL  # noqa: F401

# Which poll events make a socket ready for each of select's three lists: Linux's POLLIN_SET,
# POLLOUT_SET and POLLEX_SET (fs/select.c), plus POLLHUP in the write set (Linux's tcp_poll
# reports POLLOUT once the socket is shut down, so a write then fails at once with EPIPE).
_READ = POLLIN | POLLHUP | POLLERR
_WRITE = POLLOUT | POLLHUP | POLLERR
_EXCEPT = POLLPRI

# CPython's alias (select.error is OSError since 3.3).
error = OSError


def select(rlist, wlist, xlist, timeout=None):
    """select(rlist, wlist, xlist[, timeout]) -> (readable, writable, exceptional).

    The lists hold ustack sockets (they have no fileno(): see usocket.socket.fileno); timeout
    is in seconds, None waits for ever. The ready sockets come back as the objects given,
    in their lists' order. A closed socket is OSError(EBADF), as select(2) on a closed fd.
    """
    if timeout is not None:
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise TypeError("timeout must be a float or None")
        if timeout < 0:
            raise ValueError("timeout must be non-negative")
    lists = []
    for seq in (rlist, wlist, xlist):
        try:
            lists.append(list(seq))
        except TypeError:
            raise TypeError("arguments 1-3 must be sequences") from None
    masks = {}  # id(socket) -> [socket, eventmask]
    for objs, events in zip(lists, (POLLIN, POLLOUT, POLLPRI)):
        for o in objs:
            if not isinstance(o, _ustack.socket):
                raise TypeError("select over ustack waits for ustack sockets only, not '%s'" %
                                type(o).__name__)
            masks.setdefault(id(o), [o, 0])[1] |= events
    p = poll()
    for o, mask in masks.values():
        p.register(o, mask)
    ready = {id(o): ev for o, ev in p.poll(None if timeout is None else timeout * 1000)}
    if any(ev & POLLNVAL for ev in ready.values()):
        raise OSError(_errno.EBADF, "Bad file descriptor")
    return tuple([o for o in objs if ready.get(id(o), 0) & bits]
                 for objs, bits in zip(lists, (_READ, _WRITE, _EXCEPT)))
