"""pytest: the spec's methods and errors from Python against the real kernel over a TUN.

ustack (198.18.0.2, fd00:1::2) runs in this process on a TUN device it creates in the
namespace $USTACK_TEST_NS (made and deleted by kernel_test.sh); its peers are kernel sockets
made in that namespace by this process (setns around socket()), the kernel at 198.18.0.1 and
fd00:1::1. ustack has no thread of its own: its loop runs inside the ustack calls of the main
thread, so a kernel peer that must wait for ustack does it in a thread.
"""
import contextlib
import ctypes
import errno
import os
import runpy
import socket as ksocket  # the kernel's, taken before any install()
import subprocess
import threading
import time

import pytest

import ustack
from ustack import uselect, usocket

NS = os.environ["USTACK_TEST_NS"]
DEV = os.environ["USTACK_TEST_DEV"]
K4, K6 = "198.18.0.1", "fd00:1::1"
U4, U6 = "198.18.0.2", "fd00:1::2"
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


@contextlib.contextmanager
def in_netns():
    """The calling thread in NS (sockets made now are NS's), then back."""
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open("/run/netns/" + NS, os.O_RDONLY)
    try:
        if _libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns " + NS)
        yield
    finally:
        _libc.setns(home, CLONE_NEWNET)
        os.close(home)
        os.close(target)


def kernel(af=ksocket.AF_INET, type_=ksocket.SOCK_STREAM):
    """A kernel socket in NS, blocking calls bounded by 5 s."""
    with in_netns():
        s = ksocket.socket(af, type_)
    s.settimeout(5)
    return s


def kaccept(kl):
    """The kernel listener's next connection, its calls bounded by 5 s too."""
    k, peer = kl.accept()
    k.settimeout(5)
    return k, peer


def kernel_listener(port, af=ksocket.AF_INET):
    k = kernel(af)
    k.setsockopt(ksocket.SOL_SOCKET, ksocket.SO_REUSEADDR, 1)
    k.bind((K4 if af == ksocket.AF_INET else K6, port))
    k.listen()
    return k


@pytest.fixture(scope="module", autouse=True)
def network():
    net = ustack.Network("--tun", DEV, "--netns", NS, "--addr", U4 + "/24", "--addr",
                         U6 + "/64", "--peer", K4 + "/24", "--peer", K6 + "/64")
    for _ in range(50):  # the kernel's IPv6 address usable (no DAD left)
        out = subprocess.run(["ip", "-n", NS, "-6", "addr", "show", "dev", DEV],
                             capture_output=True, text=True).stdout
        if K6 in out and "tentative" not in out:
            break
        time.sleep(0.1)
    ustack.set_default(net)
    yield net
    net.close()


def raises_errno(code, f, *args):
    with pytest.raises(OSError) as info:
        f(*args)
    assert info.value.errno == code == info.value.args[0], info.value
    return info.value


def test_tcp_client_every_stream_method():
    kl = kernel_listener(7001)
    c = usocket.socket()
    c.connect(usocket.getaddrinfo(K4, 7001)[0][-1])
    k, peer = kaccept(kl)
    assert peer == c.getsockname() and peer[0] == U4
    assert c.getpeername() == (K4, 7001)
    assert c.send(b"hello") == 5
    assert k.recv(100) == b"hello"
    k.sendall(b"line one\nline two\nrest")
    f = c.makefile("rwb", 0)
    assert f is c
    assert f.readline() == b"line one\n"
    assert c.readline() == b"line two\n"
    k.sendall(b"more")
    buf = bytearray(10)
    assert c.readinto(buf, 6) == 6 and bytes(buf[:6]) == b"restmo"  # no short reads
    assert c.read(2) == b"re"
    assert c.write(memoryview(b"abc")) == 3
    assert k.recv(10) == b"abc"
    # 300 kB: the kernel reads in a thread and answers with the count. sendall returns once
    # all is queued; ustack's loop (which sends the rest) runs in the recv that waits for it.
    got = []

    def read_and_answer():
        got.append(recv_exactly(k, 300000))
        k.sendall(b"%d" % len(got[0]))

    reader = threading.Thread(target=read_and_answer, daemon=True)
    reader.start()
    c.sendall(b"x" * 300000)
    assert c.recv(100) == b"300000"
    reader.join(5)
    assert got == [b"x" * 300000]
    c.setsockopt(usocket.IPPROTO_TCP, usocket.TCP_NODELAY, 1)
    assert c.getsockopt(usocket.IPPROTO_TCP, usocket.TCP_NODELAY) == 1
    c.shutdown(usocket.SHUT_WR)
    assert k.recv(10) == b""  # our FIN
    k.sendall(b"bye")
    k.close()
    assert c.read() == b"bye"  # to the kernel's FIN
    c.close()
    c.close()
    raises_errno(errno.EBADF, c.recv, 1)
    kl.close()


def recv_exactly(k, n):
    data = b""
    while len(data) < n:
        chunk = k.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def kernel_connect(addr, af=ksocket.AF_INET):
    """A kernel client whose handshake finishes while ustack's accept() runs."""
    k = kernel(af)
    k.setblocking(False)
    assert k.connect_ex(addr) == errno.EINPROGRESS
    return k


def test_tcp_server_accept_recv_timeouts():
    l = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM)
    l.setsockopt(usocket.SOL_SOCKET, usocket.SO_REUSEADDR, 1)
    l.bind(usocket.getaddrinfo("0.0.0.0", 7002)[0][-1])
    l.listen(5)
    k = kernel_connect((U4, 7002))
    s, peer = l.accept()
    k.settimeout(5)
    assert peer == (K4, k.getsockname()[1])
    k.sendall(b"ping")
    assert s.recv(10) == b"ping"
    s.sendall(b"pong")
    assert k.recv(10) == b"pong"
    s.setblocking(False)
    assert s.read() is None and s.readline() is None and s.readinto(bytearray(2)) is None
    e = raises_errno(errno.EAGAIN, s.recv, 10)
    assert isinstance(e, BlockingIOError)
    s.settimeout(0.2)
    t0 = time.monotonic()
    e = raises_errno(errno.ETIMEDOUT, s.recv, 10)
    assert isinstance(e, TimeoutError) and time.monotonic() - t0 >= 0.2
    s.settimeout(None)
    k.close()
    assert s.recv(10) == b""
    l.setblocking(False)
    raises_errno(errno.EAGAIN, l.accept)
    raises_errno(errno.EADDRINUSE, usocket.socket().bind, (U4, 7002))
    s.close()
    l.close()


def test_udp_sendto_recvfrom():
    u = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
    u.bind(("0.0.0.0", 7003))
    ku = kernel(ksocket.AF_INET, ksocket.SOCK_DGRAM)
    ku.bind((K4, 0))
    ku.sendto(b"ping", (U4, 7003))
    data, peer = u.recvfrom(100)
    assert (data, peer) == (b"ping", (K4, ku.getsockname()[1]))
    assert u.sendto(b"pong", peer) == 4
    assert ku.recvfrom(100) == (b"pong", (U4, 7003))
    ku.sendto(b"y" * 100, (U4, 7003))
    assert u.recvfrom(10) == (b"y" * 10, peer)  # truncated, the rest dropped (Linux)
    raises_errno(errno.EDESTADDRREQ,
                 usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM).send, b"x")
    raises_errno(errno.EOPNOTSUPP, u.listen)
    u.close()
    ku.close()


def test_ipv6_tuples_with_the_kernel():
    kl = kernel_listener(7004, ksocket.AF_INET6)
    c = usocket.socket(usocket.AF_INET6)
    addr = usocket.getaddrinfo(K6, 7004, 0, usocket.SOCK_STREAM)[0][-1]
    assert addr == (K6, 7004, 0, 0)
    c.connect(addr)
    k, peer = kaccept(kl)
    assert peer == (U6, c.getsockname()[1], 0, 0)
    assert c.getpeername() == (K6, 7004, 0, 0)
    c.write(b"six")
    assert k.recv(10) == b"six"
    k.close()
    c.close()
    kl.close()


def test_classic_errors_from_the_kernel():
    e = raises_errno(errno.ECONNREFUSED, usocket.socket().connect, (K4, 9))  # kernel's RST
    assert isinstance(e, ConnectionRefusedError)
    raises_errno(errno.EPIPE, usocket.socket().send, b"x")
    raises_errno(errno.EINVAL, usocket.socket().accept)
    raises_errno(errno.EAFNOSUPPORT, usocket.socket().connect, (K6, 80, 0, 0))
    raises_errno(-8, usocket.getaddrinfo, K4, 70000)


def test_poll_and_select_with_a_kernel_peer():
    kl = kernel_listener(7006)
    c = usocket.socket()
    c.connect((K4, 7006))
    k, _ = kaccept(kl)
    p = uselect.poll()
    p.register(c, uselect.POLLIN)
    assert p.poll(0) == []
    assert uselect.select([c], [], [], 0) == ([], [], [])
    k.sendall(b"x")
    assert p.poll(2000) == [(c, uselect.POLLIN)]
    assert uselect.select([c], [c], [], 2) == ([c], [c], [])
    p.modify(c, uselect.POLLIN | uselect.POLLOUT)
    assert list(p.ipoll(0, 1)) == [(c, uselect.POLLIN | uselect.POLLOUT)]
    assert list(p.ipoll(0)) == []  # one-shot: disarmed
    p.unregister(c)
    k.sendall(b"!", ksocket.MSG_OOB)
    assert uselect.select([], [], [c], 2) == ([], [], [c])
    k.close()
    assert uselect.select([c], [], [], 2) == ([c], [], [])  # EOF
    c.close()
    raises_errno(errno.EBADF, uselect.select, [c], [], [], 0)
    kl.close()


# A MicroPython program (usocket, uselect.poll, getaddrinfo(...)[0][-1], read/write), not
# edited for CPython: it imports usocket and uselect, which install() makes ustack's.
MICROPYTHON_CLIENT = '''
import usocket
import uselect

addr = usocket.getaddrinfo("198.18.0.1", 7005)[0][-1]
s = usocket.socket()
s.connect(addr)
poller = uselect.poll()
poller.register(s, uselect.POLLIN)
s.write(b"hello from micropython\\n")
res = poller.poll(5000)
if not res:
    raise OSError(110)
line = s.readline()
s.write(b"second\\n")
rest = s.read(7)
s.close()
print("got", line, rest)
'''


def test_a_micropython_script_runs_unchanged_through_install(tmp_path, capsys):
    kl = kernel_listener(7005)

    def echo():
        k, _ = kaccept(kl)
        while data := k.recv(4096):
            k.sendall(data)
        k.close()

    t = threading.Thread(target=echo, daemon=True)
    t.start()
    script = tmp_path / "client.py"
    script.write_text(MICROPYTHON_CLIENT)
    with ustack.install():
        runpy.run_path(str(script), run_name="__main__")
    t.join(5)
    kl.close()
    assert capsys.readouterr().out == "got b'hello from micropython\\n' b'second\\n'\n"
