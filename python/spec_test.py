"""pytest: the spec's inventory from Python, select.select() and fileno(), bad arguments.

Two in-memory networks on one VirtualLab in virtual time: a = 198.18.0.2 (the default),
b = 198.18.0.1. Run by //python:ustack_test next to ustack_test.py's unittest classes.
"""
import errno
import io
import sys
import types

import pytest

import ustack
from ustack import uselect, usocket

SERVER = ("198.18.0.1", 7000)


@pytest.fixture
def lab():
    vl = ustack.VirtualLab(delay_ms=10)
    a = ustack.Network.in_memory(vl, "--addr", "198.18.0.2/24", "--addr", "fd00:1::2/64")
    b = ustack.Network.in_memory(vl, "--addr", "198.18.0.1/24", "--addr", "fd00:1::1/64")
    ustack.set_default(a)
    yield types.SimpleNamespace(a=a, b=b, now=vl.now)
    a.close()
    b.close()


@pytest.fixture
def pair(lab):
    """(listener on b, client on a, b's accepted end)."""
    l = lab.b.socket()
    l.bind(SERVER)
    l.listen()
    c = usocket.socket()
    c.connect(usocket.getaddrinfo(*SERVER)[0][-1])
    s, _ = l.accept()
    return l, c, s


def raises_errno(code, f, *args):
    with pytest.raises(OSError) as info:
        f(*args)
    assert info.value.errno == code == info.value.args[0], info.value
    return info.value


# --- the spec's inventory (../shared/seeds/usocket.txt) --------------------------------------

SPEC_FUNCTIONS = ["socket", "getaddrinfo", "inet_ntop", "inet_pton"]
SPEC_CONSTANTS = {"AF_INET": 2, "AF_INET6": 10, "SOCK_STREAM": 1, "SOCK_DGRAM": 2,
                  "IPPROTO_UDP": 17, "IPPROTO_TCP": 6, "SOL_SOCKET": 1, "SO_REUSEADDR": 2}
SPEC_METHODS = ["close", "bind", "listen", "accept", "connect", "send", "sendall", "recv",
                "sendto", "recvfrom", "setsockopt", "settimeout", "setblocking", "makefile",
                "read", "readinto", "readline", "write"]
SPEC_POLL = ["register", "modify", "unregister", "poll", "ipoll"]


@pytest.mark.parametrize("name", SPEC_FUNCTIONS)
def test_spec_function_exists(name):
    assert callable(getattr(usocket, name))


@pytest.mark.parametrize("name,value", sorted(SPEC_CONSTANTS.items()))
def test_spec_constant_is_linuxs(name, value):
    assert getattr(usocket, name) == value


def test_spec_sol_and_so_families_are_there():
    so = {n for n in dir(usocket) if n.startswith("SO_")}
    assert {"SO_REUSEADDR", "SO_BROADCAST", "SO_KEEPALIVE", "SO_RCVBUF", "SO_SNDBUF",
            "SO_ERROR", "SO_TYPE", "SO_REUSEPORT", "SO_OOBINLINE"} <= so
    assert [n for n in dir(usocket) if n.startswith("SOL_")] == ["SOL_SOCKET"]
    assert not hasattr(usocket, "IPPROTO_SEC")  # WiPy only


@pytest.mark.parametrize("name", SPEC_METHODS)
def test_spec_method_exists(name):
    assert callable(getattr(usocket.socket, name))


@pytest.mark.parametrize("name", SPEC_POLL)
def test_spec_poll_method_exists(name):
    assert callable(getattr(uselect.poll, name))


def test_error_is_oserror():
    # "MicroPython does NOT have this exception"; CPython's deprecated alias of OSError.
    assert usocket.error is OSError
    assert usocket.timeout is TimeoutError


# --- the spec's sentences, one by one --------------------------------------------------------

def test_bind_twice_is_einval(lab):
    s = usocket.socket()
    s.bind(("0.0.0.0", 0))  # "The socket must not already be bound."
    raises_errno(errno.EINVAL, s.bind, ("0.0.0.0", 0))


def test_listen_backlog_below_zero_is_zero_and_default_is_chosen(lab):
    l = lab.b.socket()
    l.bind(SERVER)
    l.listen(-5)  # "if it's lower, it will be set to 0"
    c = usocket.socket()
    c.connect(SERVER)  # backlog 0 still takes one (Linux)
    s, peer = l.accept()
    assert peer == c.getsockname()
    l2 = lab.b.socket()
    l2.listen()  # "a default reasonable value is chosen"; unbound: an ephemeral port
    assert l2.getsockname()[1] > 0


def test_setblocking_is_shorthand_for_settimeout(lab):
    s = usocket.socket()
    s.setblocking(False)
    assert s.gettimeout() == 0.0
    s.setblocking(True)
    assert s.gettimeout() is None


def test_makefile_modes_and_closing_the_file_closes_the_socket(pair):
    _, c, s = pair
    for mode in ("rb", "wb", "rwb"):
        assert s.makefile(mode) is s
    assert s.makefile("rwb", 4096) is s  # buffering is ignored (treated as 0)
    f = c.makefile("wb")
    f.close()  # "Closing the file object returned by makefile() WILL close the socket"
    raises_errno(errno.EBADF, c.send, b"x")
    assert s.recv(1) == b""


def test_close_gives_the_peer_eof_and_every_later_call_fails(pair):
    _, c, s = pair
    c.close()
    assert s.read() == b""
    for call in (lambda: c.recv(1), lambda: c.send(b"x"), lambda: c.read(1),
                 lambda: c.write(b"x"), lambda: c.readline(), lambda: c.getsockname(),
                 lambda: c.setsockopt(usocket.SOL_SOCKET, usocket.SO_REUSEADDR, 1)):
        raises_errno(errno.EBADF, call)


def test_recvfrom_gives_the_senders_address_and_setsockopt_takes_bytes(lab):
    srv = lab.b.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
    srv.bind(("198.18.0.1", 5000))
    c = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
    c.setsockopt(usocket.SOL_SOCKET, usocket.SO_BROADCAST, (1).to_bytes(4, sys.byteorder))
    assert c.getsockopt(usocket.SOL_SOCKET, usocket.SO_BROADCAST) == 1
    c.sendto(b"hi", ("198.18.0.1", 5000))
    data, addr = srv.recvfrom(10)
    assert (data, addr) == (b"hi", ("198.18.0.2", c.getsockname()[1]))


def test_getaddrinfo_error_is_a_plain_negative_oserror(lab):
    e = raises_errno(-8, usocket.getaddrinfo, "198.18.0.1", "not-a-port")
    assert type(e) is OSError  # no socket.gaierror: MicroPython raises OSError directly


# --- bad arguments: the TypeError / OSError CPython gives --------------------------------------

@pytest.mark.parametrize("call,cpython", [
    (lambda s: s.connect("198.18.0.1"), "address must be a tuple"),
    (lambda s: s.connect(("198.18.0.1",)), "address must be"),
    (lambda s: s.connect((b"198.18.0.1", 80)), "str expected"),
    (lambda s: s.connect(("198.18.0.1", "80")), "cannot be interpreted as an integer"),
    (lambda s: s.send("text"), ""),
    (lambda s: s.sendall(None), ""),
    (lambda s: s.recv("10"), ""),
    (lambda s: s.recv(), ""),
    (lambda s: s.settimeout("1"), ""),
    (lambda s: s.listen("5"), ""),
    (lambda s: s.setsockopt(usocket.SOL_SOCKET, usocket.SO_REUSEADDR, 1.5), "bytes-like"),
    (lambda s: s.readinto(b"immutable"), ""),
    (lambda s: s.sendto(b"x", "198.18.0.1"), "address must be a tuple"),
    (lambda s: usocket.socket(usocket.AF_INET, "stream"), ""),
    (lambda s: usocket.getaddrinfo("198.18.0.1", None, "x"), ""),
    (lambda s: usocket.inet_pton(usocket.AF_INET, b"1.2.3.4"), ""),
    (lambda s: usocket.inet_ntop(usocket.AF_INET, "1234"), ""),
    (lambda s: uselect.poll().register(s, "in"), ""),
    (lambda s: uselect.poll().register(object()), "ustack socket"),
])
def test_bad_argument_types_are_type_errors(lab, call, cpython):
    with pytest.raises(TypeError, match=cpython):
        call(usocket.socket())


@pytest.mark.parametrize("call,code", [
    (lambda s: s.connect(("198.18.0.1", 70000)), errno.EINVAL),  # CPython: OverflowError
    (lambda s: s.connect(("not-an-address", 80)), errno.EINVAL),  # CPython: gaierror
    (lambda s: s.settimeout(-1), errno.EINVAL),  # CPython: ValueError
    (lambda s: usocket.inet_pton(usocket.AF_INET, "256.0.0.1"), errno.EINVAL),
    (lambda s: usocket.inet_ntop(usocket.AF_INET, b"\1\2\3"), errno.EINVAL),
    (lambda s: usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM, usocket.IPPROTO_UDP),
     errno.EPROTONOSUPPORT),
])
def test_bad_argument_values_are_oserror(lab, call, code):
    raises_errno(code, call, usocket.socket())


# --- fileno() and select.select() ----------------------------------------------------------

def test_fileno_is_unsupported_like_cpythons_objects_without_an_fd(lab):
    s = usocket.socket()
    with pytest.raises(io.UnsupportedOperation, match="no file descriptor"):
        s.fileno()
    # an OSError and a ValueError: selectors says "Invalid file object" instead of polling a
    # number that is not ours
    assert issubclass(io.UnsupportedOperation, OSError)
    import selectors
    with pytest.raises(ValueError, match="Invalid file object"):
        selectors.DefaultSelector().register(s, selectors.EVENT_READ)


def test_select_waits_in_virtual_time_and_reports_each_list(lab, pair):
    l, c, s = pair
    assert uselect.select([s], [], [], 0) == ([], [], [])
    t0 = lab.now()
    assert uselect.select([s], [], [], 0.25) == ([], [], [])
    assert lab.now() - t0 == 0.25
    c.send(b"x")
    assert uselect.select([], [s], [], None) == ([], [s], [])  # writable at once
    t0 = lab.now()
    assert uselect.select([s, l], [], [], 1) == ([s], [], [])  # when the byte comes
    assert lab.now() - t0 == pytest.approx(0.01)  # the link's one-way delay
    r, w, x = uselect.select([s, l], [s], [s], 1)  # the same object in several lists
    assert r == [s] and r[0] is s and w == [s] and x == []
    assert s.recv(1) == b"x"
    c.send(b"!", usocket.MSG_OOB)
    assert uselect.select([], [], [s], 1) == ([], [], [s])  # urgent data: the except list
    c2 = usocket.socket()
    c2.connect(SERVER)
    assert uselect.select((l,), [], [], None) == ([l], [], [])  # a pending connection
    raises_errno(errno.EINVAL, uselect.select, [c2, l], [], [])  # two networks: as poll
    c2.shutdown(usocket.SHUT_WR)
    s2, _ = l.accept()
    assert uselect.select([s2], [], [], None) == ([s2], [], [])  # EOF is readable


def test_select_with_nothing_sleeps_the_timeout(lab):
    t0 = lab.now()
    assert uselect.select([], [], [], 1.5) == ([], [], [])
    assert lab.now() - t0 == 1.5


@pytest.mark.parametrize("args,exc,text", [
    ((1, [], []), TypeError, "arguments 1-3 must be sequences"),
    (([3], [], []), TypeError, "not 'int'"),
    (([], [], [], -1), ValueError, "timeout must be non-negative"),
    (([], [], [], "1"), TypeError, "timeout must be a float or None"),
])
def test_select_bad_arguments_as_cpython(lab, args, exc, text):
    with pytest.raises(exc, match=text):
        uselect.select(*args)


def test_select_on_a_closed_socket_is_ebadf(lab):
    s = usocket.socket()
    s.close()
    raises_errno(errno.EBADF, uselect.select, [s], [], [], 0)


def test_install_gives_cpython_scripts_select_select(lab, pair):
    _, c, s = pair
    with ustack.install():
        import select
        c.send(b"ready")
        assert select.select([s], [], [], 5.0)[0] == [s]
        assert select.error is OSError
