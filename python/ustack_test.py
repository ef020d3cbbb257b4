"""The ustack package from Python over two in-memory networks in virtual time.

Every socket method, the errors (the built-in OSError and its errno), timeouts in virtual
time, non-blocking None, makefile/readline, uselect.poll, and install(). Run by
//python:ustack_test with /usr/bin/python3 (PYTHONPATH at the built _ustack.so).
"""
import errno
import gc
import sys
import tempfile
import unittest

import ustack
from ustack import uselect, usocket

SERVER = ("198.18.0.1", 7000)


class InMemory(unittest.TestCase):
    """a = 198.18.0.2 / fd00:1::2 (the default), b = .1 / ::1; 10 ms each way."""

    def setUp(self):
        self.lab = ustack.VirtualLab(delay_ms=10)
        self.a = ustack.Network.in_memory(self.lab, "--addr", "198.18.0.2/24", "--addr",
                                          "fd00:1::2/64")
        self.b = ustack.Network.in_memory(self.lab, "--addr", "198.18.0.1/24", "--addr",
                                          "fd00:1::1/64")
        ustack.set_default(self.a)

    def tearDown(self):
        self.a.close()
        self.b.close()

    def pair(self):
        """A listener on b, a client on a (the default network) and b's accepted end."""
        l = self.b.socket(usocket.AF_INET, usocket.SOCK_STREAM)
        l.setsockopt(usocket.SOL_SOCKET, usocket.SO_REUSEADDR, 1)
        l.bind(SERVER)
        l.listen()
        c = usocket.socket()
        c.connect(usocket.getaddrinfo(*SERVER)[0][-1])
        s, peer = l.accept()
        self.assertEqual(peer, c.getsockname())
        return l, c, s

    def assertErrno(self, code, f, *args):
        with self.assertRaises(OSError) as cm:
            f(*args)
        self.assertEqual(type(cm.exception).__module__, "builtins")  # OSError or a subclass
        self.assertEqual(cm.exception.errno, code, str(cm.exception))
        self.assertEqual(cm.exception.args[0], code)
        return cm.exception

    # --- TCP ---------------------------------------------------------------------------

    def test_echo_with_bytes_in_and_out(self):
        _, c, s = self.pair()
        self.assertEqual(c.send(b"hello"), 5)
        self.assertEqual(s.recv(100), b"hello")
        s.sendall(bytearray(b"x" * 100000))
        got = b""
        while len(got) < 100000:
            got += c.recv(65536)
        self.assertEqual(got, b"x" * 100000)
        c.write(memoryview(b"abc"))
        self.assertEqual(s.read(3), b"abc")

    def test_stream_interface(self):
        _, c, s = self.pair()
        f = s.makefile("rwb", 0)
        self.assertIs(f, s)  # the spec: makefile() is the socket itself
        c.write(b"line one\nline two\nrest")
        self.assertEqual(f.readline(), b"line one\n")
        self.assertEqual(f.readline(), b"line two\n")
        buf = bytearray(10)
        c.write(b"more")
        self.assertEqual(s.readinto(buf, 2), 2)  # no short reads: both bytes
        self.assertEqual(bytes(buf[:2]), b"re")
        c.close()
        self.assertEqual(s.read(), b"stmore")  # to end of stream
        self.assertEqual(s.readline(), b"")

    def test_non_blocking_read_write_give_none(self):
        _, c, s = self.pair()
        s.setblocking(False)
        self.assertIsNone(s.read())
        self.assertIsNone(s.read(10))
        self.assertIsNone(s.readline())
        self.assertIsNone(s.readinto(bytearray(4)))
        e = self.assertErrno(errno.EAGAIN, s.recv, 10)
        self.assertIsInstance(e, BlockingIOError)
        self.assertEqual(s.write(b"ok"), 2)
        self.assertEqual(c.recv(10), b"ok")
        # c never reads: the buffers fill, a write comes back short, then None
        counts = [s.write(b"x" * 65536) for _ in range(100)]
        self.assertIsNone(counts[-1])
        self.assertTrue(any(n is not None and 0 < n < 65536 for n in counts), counts[:20])

    def test_timeout_is_etimedout_in_exactly_that_virtual_time(self):
        _, c, _ = self.pair()
        c.settimeout(0.5)
        self.assertEqual(c.gettimeout(), 0.5)
        t0 = self.lab.now()
        e = self.assertErrno(errno.ETIMEDOUT, c.recv, 10)
        self.assertIsInstance(e, TimeoutError)  # CPython's socket.timeout
        self.assertEqual(self.lab.now() - t0, 0.5)
        self.assertErrno(errno.EINVAL, c.settimeout, -1)
        c.settimeout(None)
        self.assertIsNone(c.gettimeout())

    def test_classic_errors(self):
        c = usocket.socket()
        e = self.assertErrno(errno.ECONNREFUSED, c.connect, ("198.18.0.1", 9))
        self.assertIsInstance(e, ConnectionRefusedError)
        self.assertEqual(str(e), "[Errno 111] ECONNREFUSED")
        c.close()
        c.close()  # idempotent
        self.assertErrno(errno.EBADF, c.recv, 10)
        self.assertErrno(errno.EPIPE, usocket.socket().send, b"x")
        self.assertErrno(errno.EINVAL, usocket.socket().accept)
        l, _, _ = self.pair()
        self.assertErrno(errno.EADDRINUSE, self.b.socket().bind, SERVER)
        self.assertErrno(errno.EAFNOSUPPORT, usocket.socket().bind, ("fd00:1::2", 80, 0, 0))
        self.assertErrno(errno.EINVAL, usocket.socket().connect, ("localhost", 80))
        self.assertErrno(errno.EAFNOSUPPORT, usocket.socket, 99)
        self.assertErrno(errno.EINVAL, usocket.socket, usocket.AF_INET, 99)
        self.assertErrno(errno.EOPNOTSUPP, usocket.socket(usocket.AF_INET,
                                                         usocket.SOCK_DGRAM).listen)
        self.assertErrno(errno.ENOPROTOOPT, l.setsockopt, usocket.SOL_SOCKET, 12345, 1)

    def test_bad_arguments_are_type_errors(self):
        s = usocket.socket()
        p = uselect.poll()
        for bad in (lambda: s.connect("198.18.0.1"), lambda: s.bind(("198.18.0.1",)),
                    lambda: s.bind((1, 80)), lambda: s.bind(("198.18.0.1", "80")),
                    lambda: s.send("text"), lambda: usocket.socket("x"),
                    lambda: s.setsockopt(usocket.SOL_SOCKET, usocket.SO_REUSEADDR, "1"),
                    lambda: usocket.getaddrinfo("198.18.0.1", 1.5),
                    lambda: usocket.getaddrinfo(1, 80), lambda: p.register(3)):
            with self.assertRaises(TypeError):
                bad()

    def test_ipv6_tuples(self):
        l = self.b.socket(usocket.AF_INET6)
        l.bind(("fd00:1::1", 7000, 0, 0))
        l.listen(0)
        c = usocket.socket(usocket.AF_INET6, usocket.SOCK_STREAM, usocket.IPPROTO_TCP)
        c.connect(("fd00:1::1", 7000))  # CPython takes the pair for AF_INET6 too
        s, peer = l.accept()
        self.assertEqual(peer[0], "fd00:1::2")
        self.assertEqual(len(peer), 4)
        self.assertEqual(c.getpeername(), ("fd00:1::1", 7000, 0, 0))

    def test_options(self):
        _, c, s = self.pair()
        c.setsockopt(usocket.IPPROTO_TCP, usocket.TCP_NODELAY, True)
        self.assertEqual(c.getsockopt(usocket.IPPROTO_TCP, usocket.TCP_NODELAY), 1)
        c.setsockopt(usocket.IPPROTO_TCP, usocket.TCP_CONGESTION, b"reno")
        self.assertEqual(c.getsockopt(usocket.IPPROTO_TCP, usocket.TCP_CONGESTION, 16),
                         b"reno" + b"\0" * 12)
        self.assertErrno(errno.ENOENT, c.setsockopt, usocket.IPPROTO_TCP,
                         usocket.TCP_CONGESTION, b"bbr")
        self.assertEqual(c.getsockopt(usocket.SOL_SOCKET, usocket.SO_ERROR), 0)

    def test_shutdown_and_recvfrom_on_tcp(self):
        _, c, s = self.pair()
        c.send(b"x")
        self.assertEqual(s.recvfrom(10), (b"x", None))  # no datagram source: None (CPython)
        c.shutdown(usocket.SHUT_WR)
        self.assertEqual(s.recv(10), b"")

    def test_finalizer_closes_the_socket(self):
        _, c, s = self.pair()
        del c
        gc.collect()
        self.assertEqual(s.recv(10), b"")  # the peer's FIN

    def test_context_managers(self):
        with usocket.socket() as c:
            pass
        self.assertErrno(errno.EBADF, c.bind, ("0.0.0.0", 0))
        _, c, _ = self.pair()
        with self.b:
            pass
        self.assertTrue(self.b.closed)
        self.assertErrno(errno.EBADF, self.b.socket)

    def test_closing_the_network_closes_its_sockets(self):
        l, c, s = self.pair()
        self.b.close()
        self.assertErrno(errno.EBADF, s.recv, 1)
        self.assertErrno(errno.EBADF, l.accept)

    # --- UDP ---------------------------------------------------------------------------

    def test_udp(self):
        srv = self.b.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
        srv.bind(("0.0.0.0", 5353))
        c = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
        self.assertEqual(c.sendto(b"ping", ("198.18.0.1", 5353)), 4)
        data, peer = srv.recvfrom(100)
        self.assertEqual(data, b"ping")
        self.assertEqual(peer, ("198.18.0.2", c.getsockname()[1]))
        srv.sendto(b"pong", peer)
        self.assertEqual(c.recvfrom(2), (b"po", ("198.18.0.1", 5353)))  # truncated
        self.assertErrno(errno.EDESTADDRREQ, usocket.socket(usocket.AF_INET,
                                                           usocket.SOCK_DGRAM).send, b"x")
        self.assertErrno(errno.EACCES, c.sendto, b"x", ("198.18.0.255", 1))

    # --- getaddrinfo, inet -------------------------------------------------------------

    def test_getaddrinfo(self):
        self.assertEqual(usocket.getaddrinfo("198.18.0.1", 80),
                         [(2, 1, 6, "", ("198.18.0.1", 80)), (2, 2, 17, "", ("198.18.0.1", 80))])
        self.assertEqual(usocket.getaddrinfo("fd00::1", "80", 0, usocket.SOCK_STREAM)[0][-1],
                         ("fd00::1", 80, 0, 0))
        self.assertEqual(usocket.getaddrinfo(None, 0, usocket.AF_INET, usocket.SOCK_DGRAM, 0,
                                             usocket.AI_PASSIVE)[0][-1], ("0.0.0.0", 0))
        self.assertErrno(-6, usocket.getaddrinfo, "198.18.0.1", 80, 99)
        self.assertErrno(-7, usocket.getaddrinfo, "198.18.0.1", 80, 0, 99)
        self.assertErrno(-8, usocket.getaddrinfo, "198.18.0.1", 70000)
        # No DNS server on b: the resolver's EAI_AGAIN, with its detail.
        e = self.assertErrno(-3, usocket.getaddrinfo, "no.such.name", 80)
        self.assertTrue(str(e).startswith("[Errno -3] Temporary failure in name resolution"),
                        str(e))

    def test_getaddrinfo_by_name_through_the_hosts_file(self):
        with tempfile.NamedTemporaryFile("w", suffix=".hosts") as f:
            f.write("198.18.0.1 web.ustack.test\n")
            f.flush()
            lab = ustack.VirtualLab()
            net = ustack.Network.in_memory(lab, "--addr", "198.18.0.2/24", "--hosts", f.name)
            ustack.set_default(net)
            self.assertEqual(usocket.getaddrinfo("web.ustack.test", 80, 0, usocket.SOCK_STREAM),
                             [(2, 1, 6, "", ("198.18.0.1", 80))])
            net.close()

    def test_inet(self):  # the spec's own examples
        self.assertEqual(usocket.inet_ntop(usocket.AF_INET, b"\x7f\0\0\1"), "127.0.0.1")
        self.assertEqual(usocket.inet_pton(usocket.AF_INET, "1.2.3.4"), b"\x01\x02\x03\x04")
        self.assertEqual(usocket.inet_ntop(usocket.AF_INET6, usocket.inet_pton(
            usocket.AF_INET6, "fd00:0::1")), "fd00::1")
        self.assertErrno(errno.EINVAL, usocket.inet_pton, usocket.AF_INET, "1.2.3")
        self.assertErrno(errno.EAFNOSUPPORT, usocket.inet_pton, 99, "1.2.3.4")

    def test_constants_are_linux(self):
        self.assertEqual((usocket.AF_INET, usocket.AF_INET6, usocket.SOCK_STREAM,
                          usocket.SOCK_DGRAM, usocket.IPPROTO_TCP, usocket.IPPROTO_UDP,
                          usocket.SOL_SOCKET, usocket.SO_REUSEADDR),
                         (2, 10, 1, 2, 6, 17, 1, 2))
        self.assertEqual((uselect.POLLIN, uselect.POLLOUT, uselect.POLLERR, uselect.POLLHUP,
                          uselect.POLLNVAL), (1, 4, 8, 16, 32))

    # --- uselect -----------------------------------------------------------------------

    def test_poll(self):
        l, c, s = self.pair()
        p = uselect.poll()
        p.register(s, uselect.POLLIN)
        self.assertEqual(p.poll(0), [])
        t0 = self.lab.now()
        self.assertEqual(p.poll(250), [])  # milliseconds
        self.assertEqual(self.lab.now() - t0, 0.25)
        c.send(b"x")
        self.assertEqual(p.poll(1000), [(s, uselect.POLLIN)])
        p.modify(s, uselect.POLLIN | uselect.POLLOUT)
        self.assertEqual(p.poll(), [(s, uselect.POLLIN | uselect.POLLOUT)])
        # one-shot ipoll: reported once, then disarmed until modify()
        self.assertEqual(list(p.ipoll(0, 1)), [(s, uselect.POLLIN | uselect.POLLOUT)])
        self.assertEqual(list(p.ipoll(0)), [])
        p.unregister(s)
        p.unregister(s)  # idempotent (MicroPython)
        self.assertErrno(errno.ENOENT, p.modify, s, uselect.POLLIN)
        p.register(c)
        c.close()
        self.assertEqual(p.poll(0), [(c, uselect.POLLNVAL)])
        # a socket of another network is EINVAL
        self.assertErrno(errno.EINVAL, p.register, l)

    def test_poller_keeps_its_sockets_alive(self):
        _, c, s = self.pair()
        p = uselect.poll()
        p.register(s, uselect.POLLIN)
        del s
        gc.collect()
        c.send(b"x")
        [(s, ev)] = p.poll(1000)
        self.assertEqual(s.recv(1), b"x")


class SpecSnippets(unittest.TestCase):
    """The spec's code, verbatim, with www.micropython.org in the hosts file of network a
    and a listener on b (198.18.0.1:80)."""

    def setUp(self):
        self.hosts = tempfile.NamedTemporaryFile("w", suffix=".hosts")
        self.hosts.write("198.18.0.1 www.micropython.org\n")
        self.hosts.flush()
        self.lab = ustack.VirtualLab()
        self.a = ustack.Network.in_memory(self.lab, "--addr", "198.18.0.2/24", "--hosts",
                                          self.hosts.name)
        self.b = ustack.Network.in_memory(self.lab, "--addr", "198.18.0.1/24")
        ustack.set_default(self.a)
        self.server = self.b.socket()
        self.server.bind(("198.18.0.1", 80))
        self.server.listen()

    def tearDown(self):
        self.a.close()
        self.b.close()
        self.hosts.close()

    def test_snippets(self):
        from ustack.usocket import AF_INET, SOCK_DGRAM, SOCK_STREAM, socket
        sock = usocket.socket()
        # --- from "Socket address format(s)" ---
        sockaddr = usocket.getaddrinfo('www.micropython.org', 80)[0][-1]
        # You must use getaddrinfo() even for numeric addresses
        sockaddr = usocket.getaddrinfo('127.0.0.1', 80)[0][-1]
        # Now you can use that address
        addr = usocket.getaddrinfo('www.micropython.org', 80)[0][-1]
        sock.connect(addr)
        self.assertEqual(sockaddr, ("127.0.0.1", 80))
        # --- from usocket.socket() ---
        # Create STREAM TCP socket
        socket(AF_INET, SOCK_STREAM)
        # Create DGRAM UDP socket
        socket(AF_INET, SOCK_DGRAM)
        # --- from usocket.getaddrinfo() ---
        s = usocket.socket()
        # This assumes that if "type" is not specified, an address for
        # SOCK_STREAM will be returned, which may be not true
        s.connect(usocket.getaddrinfo('www.micropython.org', 80)[0][-1])
        s = usocket.socket()
        # Guaranteed to return an address which can be connect'ed to for
        # stream operation.
        s.connect(usocket.getaddrinfo('www.micropython.org', 80, 0, SOCK_STREAM)[0][-1])
        # --- from socket.settimeout(): nothing comes, so both time out ---
        s.settimeout(1.0)  # time in seconds
        with self.assertRaises(OSError):
            s.read(10)  # may timeout
        poller = uselect.poll()
        poller.register(s, uselect.POLLIN)
        res = poller.poll(1000)  # time in milliseconds
        self.assertFalse(res)  # "if not res: s is still not ready for input"


class Install(unittest.TestCase):
    def test_imports_resolve_to_ustack(self):
        with ustack.install():
            import select
            import socket
            import uselect as u
            import usocket as us
            self.assertIs(socket, usocket)
            self.assertIs(us, usocket)
            self.assertIs(select, uselect)
            self.assertIs(u, uselect)
            self.assertIs(socket.error, OSError)
        for n in ("socket", "select", "usocket", "uselect"):  # the with block put them back
            self.assertIsNot(sys.modules.get(n), usocket if n.endswith("socket") else uselect)

    def test_no_network_is_enetdown(self):
        ustack._close_all()
        with self.assertRaises(OSError) as cm:
            usocket.socket()
        self.assertEqual(cm.exception.errno, errno.ENETDOWN)
        # numeric hosts need no network
        self.assertEqual(usocket.getaddrinfo("198.18.0.1", 1, 0, usocket.SOCK_STREAM)[0][-1],
                         ("198.18.0.1", 1))


if __name__ == "__main__":
    unittest.main()
