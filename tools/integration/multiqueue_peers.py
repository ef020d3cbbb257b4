"""Kernel-side peers for multiqueue_test.sh (run in the test's namespace).

  echo-idle HOST PORT FLOWS GAP   FLOWS connections to an echo service: 64 KiB each way on every
                                  flow at once, GAP seconds with nothing sent, 64 KiB more on
                                  every flow; prints "ok N" with N the flows whose echo was
                                  byte-exact (SHA-256) with no reset.
  idle-server PORT FILE GAP       for each connection: reads a line, sends FILE's first half,
                                  waits GAP seconds (the kernel speaks first after the idle),
                                  sends the second half, closes; prints "done" or "error: ..."
                                  per connection.
  udp-flows HOST PORT FLOWS ECHO  FLOWS sockets (source ports) each send one datagram; with
                                  ECHO=1 prints the number answered with the same bytes.
  udp-frag HOST PORT SOURCES COUNT SIZE
                                  from each source address (comma-separated) 2 sockets each
                                  send COUNT datagrams of about SIZE bytes (the kernel fragments
                                  them) to an echo service; prints "ok N dup D bad B of T": N
                                  answered exactly once byte-exact, D answered more than once,
                                  B answers matching no datagram, T sent.
"""
import hashlib
import os
import selectors
import socket
import sys
import threading
import time

CHUNK = 65536


def family(host):
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def echo_round(socks, payloads, got):
    """Sends payloads[i] on socks[i] and reads as many bytes back, all flows at once."""
    sel = selectors.DefaultSelector()
    pending = {}
    for i, s in enumerate(socks):
        s.setblocking(False)
        pending[i] = [memoryview(payloads[i]), len(payloads[i])]
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, i)
    deadline = time.time() + 30
    while pending and time.time() < deadline:
        for key, ev in sel.select(1):
            i = key.data
            if i not in pending:
                continue
            out, want = pending[i]
            if ev & selectors.EVENT_WRITE and len(out):
                n = key.fileobj.send(out[:16384])
                pending[i][0] = out[n:]
                if not len(pending[i][0]):
                    sel.modify(key.fileobj, selectors.EVENT_READ, i)
            if ev & selectors.EVENT_READ:
                data = key.fileobj.recv(65536)
                if not data:
                    raise ConnectionError("flow %d: closed early" % i)
                got[i] += data
                pending[i][1] -= len(data)
                if pending[i][1] <= 0:
                    del pending[i]
                    sel.unregister(key.fileobj)
    sel.close()
    if pending:
        raise TimeoutError("flows %s unanswered" % sorted(pending))


def echo_idle(host, port, flows, gap):
    socks = [socket.create_connection((host, port), timeout=10) for _ in range(flows)]
    sent = [bytearray() for _ in range(flows)]
    got = [bytearray() for _ in range(flows)]
    for round_ in range(2):
        if round_:
            time.sleep(gap)  # nothing sent either way: the kernel's flow table forgets
        payloads = [os.urandom(CHUNK) for _ in range(flows)]
        for i in range(flows):
            sent[i] += payloads[i]
        echo_round(socks, payloads, got)
    ok = sum(hashlib.sha256(sent[i]).digest() == hashlib.sha256(got[i]).digest()
             for i in range(flows))
    for s in socks:
        s.close()
    print("ok", ok, flush=True)


def idle_server(port, path, gap):
    body = open(path, "rb").read()
    half = len(body) // 2
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", port))
    srv.listen(64)

    def serve(c):
        try:
            f = c.makefile("rb")
            f.readline()
            c.sendall(body[:half])
            time.sleep(gap)
            c.sendall(body[half:])
            c.shutdown(socket.SHUT_WR)
            while c.recv(4096):
                pass
            print("done", flush=True)
        except OSError as e:
            print("error:", e, flush=True)
        finally:
            c.close()

    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


def udp_flows(host, port, flows, echo):
    answered = 0
    socks = []
    for i in range(flows):
        s = socket.socket(family(host), socket.SOCK_DGRAM)
        s.settimeout(3)
        s.sendto(b"flow %02d" % i, (host, port))
        socks.append(s)
    if echo:
        for i, s in enumerate(socks):
            try:
                data, _ = s.recvfrom(2048)
                answered += data == b"flow %02d" % i
            except socket.timeout:
                pass
        print(answered, flush=True)


def udp_frag(host, port, sources, count, size):
    sel = selectors.DefaultSelector()
    sent = {}  # (flow, seq) -> payload
    answers = {}
    bad = 0
    socks = []
    for src in sources:
        for _ in range(2):
            s = socket.socket(family(host), socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            s.bind((src, 0))
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, len(socks))
            socks.append(s)

    def drain(wait):
        nonlocal bad
        for key, _ in sel.select(wait):
            while True:
                try:
                    data = key.fileobj.recv(65536)
                except BlockingIOError:
                    break
                k = (int.from_bytes(data[:4], "big"), int.from_bytes(data[4:8], "big"))
                if sent.get(k) == data and key.data == k[0]:
                    answers[k] = answers.get(k, 0) + 1
                else:
                    bad += 1

    for seq in range(count):
        for flow, s in enumerate(socks):
            n = size - (seq % 3) * 700
            data = flow.to_bytes(4, "big") + seq.to_bytes(4, "big") + os.urandom(n - 8)
            sent[(flow, seq)] = data
            s.sendto(data, (host, port))
            drain(0)
        time.sleep(0.02)
    deadline = time.time() + 10
    while time.time() < deadline and len(answers) < len(sent):
        drain(0.2)
    drain(0.5)  # late duplicates
    once = sum(1 for v in answers.values() if v == 1)
    dup = sum(1 for v in answers.values() if v > 1)
    print("ok %d dup %d bad %d of %d" % (once, dup, bad, len(sent)), flush=True)


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "echo-idle":
        echo_idle(args[0], int(args[1]), int(args[2]), float(args[3]))
    elif mode == "idle-server":
        idle_server(int(args[0]), args[1], float(args[2]))
    elif mode == "udp-flows":
        udp_flows(args[0], int(args[1]), int(args[2]), args[3] == "1")
    elif mode == "udp-frag":
        udp_frag(args[0], int(args[1]), args[2].split(","), int(args[3]), int(args[4]))


if __name__ == "__main__":
    main()
