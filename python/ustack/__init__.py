"""ustack for CPython: MicroPython's usocket/uselect over ustack (the C++ sockapi).

    import ustack
    with ustack.Network("--netns", "demo", "--tun", "ust0", "--addr", "198.18.0.2/24"):
        from ustack import usocket
        s = usocket.socket()
        s.connect(usocket.getaddrinfo("198.18.0.1", 80)[0][-1])

Network(*device_args) takes the CLI's device options; Network.in_memory(lab, *args) puts one
on a VirtualLab's in-memory link in virtual time. The first network opened is the default
for usocket.socket() and getaddrinfo(); set_default(net) changes it. install() makes
`import usocket/socket/uselect/select` give ustack's modules.
"""
import atexit
import sys

from _ustack import Network, VirtualLab, set_default, _close_all

from . import uselect, usocket


def _enter(self):
    return self


def _exit(self, *exc):
    self.close()


Network.__enter__ = _enter
Network.__exit__ = _exit

# Networks still open at exit are closed, so a device and namespace ustack made go away.
atexit.register(_close_all)


_INSTALLED = (("usocket", usocket), ("socket", usocket), ("uselect", uselect), ("select", uselect))


class _Installation:
    """What install() replaced; `with ustack.install():` puts it back at the block's end."""

    def __init__(self, saved):
        self._saved = saved

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.uninstall()

    def uninstall(self):
        for name, module in self._saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module


def install():
    """`import usocket`, `socket`, `uselect` and `select` give ustack's modules from now on
    (or, as `with ustack.install():`, until the block ends)."""
    saved = {name: sys.modules.get(name) for name, _ in _INSTALLED}
    for name, module in _INSTALLED:
        sys.modules[name] = module
    return _Installation(saved)


__all__ = ["Network", "VirtualLab", "install", "set_default", "usocket", "uselect"]
