"""MicroPython's uselect over ustack: poll() with register/modify/unregister/poll/ipoll.

poll() returns (socket, event) tuples (MicroPython's objects, not CPython's file numbers).
"""
from _ustack import poll, POLLIN, POLLPRI, POLLOUT, POLLERR, POLLHUP, POLLNVAL  # noqa: F401
