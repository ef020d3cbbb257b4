# A blocking TCP echo server, MicroPython style: echo_server.py PORT
import sys

import usocket

server = usocket.socket(usocket.AF_INET, usocket.SOCK_STREAM)
server.setsockopt(usocket.SOL_SOCKET, usocket.SO_REUSEADDR, 1)
server.bind(usocket.getaddrinfo("0.0.0.0", int(sys.argv[1]))[0][-1])
server.listen(5)
print("ready", flush=True)
while True:
    conn, peer = server.accept()
    total = 0
    while True:
        data = conn.recv(4096)
        if not data:
            break
        conn.sendall(data)
        total += len(data)
    conn.close()
    print("done: %d bytes echoed to %s" % (total, peer[0]), flush=True)
