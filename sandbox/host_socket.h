// The relay's host side: non-blocking sockets in the namespace ustack runs in, addressed with
// sandbox Endpoints.
#pragma once

#include <sys/socket.h>

#include <vector>

#include "sandbox/layout.h"
#include "tun/unique_fd.h"

namespace ustack::sandbox {

// A non-blocking, close-on-exec TCP or UDP socket of `family`; throws tun::SysError. A TCP
// socket has TCP_NODELAY (set_nodelay).
tun::UniqueFd open_host_socket(Proto proto, IpVersion family);

sockaddr_storage to_sockaddr(const Endpoint& e, socklen_t* len);

// connect(): 0 when connected at once, EINPROGRESS while a TCP connect is under way, else the
// errno (ECONNREFUSED, ENETUNREACH, ...).
int start_connect(int fd, const Endpoint& to);

// getsockopt(SO_ERROR): the outcome of a non-blocking connect once the socket is writable.
int socket_error(int fd);

// The addresses of this namespace's interfaces (getifaddrs), loopback's included.
std::vector<IpAddr> local_addresses();

// TCP_NODELAY: the relay writes what the other side gave it at once. The guest's (or the
// client's) own TCP already decides when to send small segments (Nagle); waiting again here
// only adds a round trip to every small write that follows unacknowledged data. libslirp does
// the same on its host sockets.
void set_nodelay(int fd);

// SO_LINGER 0: the close() that follows sends a RST instead of a FIN (the guest reset us).
void reset_on_close(int fd);

}  // namespace ustack::sandbox
