// Dropping the relay's privileges once it is set up (issue 13 item 3; README "ustack sandbox").
// By then the TAP is open, the namespace configured, the --publish forwards and the API socket
// listen and the capture file is open, so the relay loop needs no privilege: host sockets,
// ping sockets (the group must be in net.ipv4.ping_group_range) and binding unprivileged ports
// for forwards added at run time.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <string_view>

namespace ustack::sandbox {

struct UserSpec {
  uid_t uid = 0;
  gid_t gid = 0;  // GROUP, else USER's primary group (a numeric USER: gid = uid)
};
// "USER[:GROUP]" (names from the passwd/group databases, or numbers); nullopt with `error`.
std::optional<UserSpec> parse_user(std::string_view spec, std::string& error);

// slirp4netns's --enable-sandbox (its sandbox.c, create_sandbox): a mount namespace of our own
// whose root is an empty read-only tmpfs with the host's /etc and /run bind-mounted read-only
// (pivot_root; the old root detached). "" or what failed.
std::string enter_empty_root();

// Drops privileges for good: the ambient and bounding capability sets emptied, then, with
// `user`, supplementary groups set to its group alone, gid and uid (real, effective, saved)
// changed; then the permitted, effective and inheritable sets emptied, keeping
// CAP_NET_BIND_SERVICE only if `keep_net_bind_service` (as slirp4netns's sandbox does);
// no_new_privs set. The caller must be single-threaded (capabilities are per thread).
// "" or what failed.
std::string drop_privileges(const std::optional<UserSpec>& user, bool keep_net_bind_service);

}  // namespace ustack::sandbox
