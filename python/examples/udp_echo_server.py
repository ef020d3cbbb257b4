# A UDP echo server: udp_echo_server.py PORT
import sys

import usocket

s = usocket.socket(usocket.AF_INET, usocket.SOCK_DGRAM)
s.bind(usocket.getaddrinfo("0.0.0.0", int(sys.argv[1]))[0][-1])
print("ready", flush=True)
while True:
    data, peer = s.recvfrom(2048)
    s.sendto(data, peer)
