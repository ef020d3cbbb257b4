# A one-thread echo server with uselect.poll and non-blocking sockets: poll_echo_server.py PORT
# Prints "served N (at most M at once)" after each client.
import sys

import uselect
import usocket

server = usocket.socket()
server.setsockopt(usocket.SOL_SOCKET, usocket.SO_REUSEADDR, 1)
server.bind(usocket.getaddrinfo("0.0.0.0", int(sys.argv[1]))[0][-1])
server.listen(128)
server.setblocking(False)
poller = uselect.poll()
poller.register(server, uselect.POLLIN)
outbox = {}  # client -> bytes received, not yet echoed
served = peak = 0
print("ready", flush=True)
while True:
    for sock, events in poller.poll():
        if sock is server:
            while True:  # every pending connection (non-blocking: EAGAIN when none is left)
                try:
                    conn, _ = server.accept()
                except OSError:
                    break
                conn.setblocking(False)
                poller.register(conn, uselect.POLLIN)
                outbox[conn] = b""
            peak = max(peak, len(outbox))
            continue
        done = events & (uselect.POLLERR | uselect.POLLHUP)
        if not done and events & uselect.POLLIN:
            data = sock.read(65536)
            if data == b"":
                done = True
            elif data:
                outbox[sock] += data
        if outbox[sock]:
            n = sock.write(outbox[sock])
            outbox[sock] = outbox[sock][n or 0:]
        if done and not outbox[sock]:
            poller.unregister(sock)
            sock.close()
            del outbox[sock]
            served += 1
            print("served %d (at most %d at once)" % (served, peak), flush=True)
        else:
            poller.modify(sock, uselect.POLLIN | (uselect.POLLOUT if outbox[sock] else 0))
