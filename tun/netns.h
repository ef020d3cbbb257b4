// Named network namespaces, the way `ip netns` keeps them: a bind mount of the namespace's
// /proc/.../ns/net file at /run/netns/NAME, so `ip netns exec NAME ...` finds ours and we find
// theirs.
//
// Namespaces are per thread: NetnsScope switches only the calling thread and switches back when
// it goes out of scope. A TUN fd, a netlink socket or an ioctl socket opened inside the scope
// stays bound to that namespace after leaving it, so setup enters, opens, and leaves.
#pragma once

#include <string>

#include "tun/unique_fd.h"

namespace ustack::tun {

// /run/netns/NAME; a NAME starting with '/' is already a path to a namespace file
// (/proc/PID/ns/net, a bind mount), so every "NAME" below may be one.
std::string netns_path(const std::string& name);

// True if /run/netns/NAME exists (as `ip netns list` would show it).
bool netns_exists(const std::string& name);

// Creates namespace NAME like `ip netns add NAME` and brings its loopback up. Throws SysError
// if it exists already or on failure (EPERM: not root).
void netns_create(const std::string& name);

// Removes NAME like `ip netns delete NAME` (the namespace itself lives on while a process or
// fd still uses it). Returns false (and leaves errno) if it was not there or could not go.
bool netns_delete(const std::string& name);

// Enters namespace NAME for the calling thread until destroyed. Throws SysError with
// "network namespace NAME does not exist" when it is missing. An empty name means "stay in the
// current namespace" (no-op), so callers need not branch.
class NetnsScope {
 public:
  explicit NetnsScope(const std::string& name);
  ~NetnsScope();
  NetnsScope(const NetnsScope&) = delete;
  NetnsScope& operator=(const NetnsScope&) = delete;

 private:
  UniqueFd original_;  // the thread's namespace before entering; invalid for the no-op scope
};

// Owns a namespace for a program's lifetime: enters nothing, but creates NAME if it does not
// exist and deletes it on destruction only if it created it.
class NetnsOwner {
 public:
  NetnsOwner() = default;
  // Creates NAME when missing (if create_if_missing), else throws when missing.
  NetnsOwner(const std::string& name, bool create_if_missing);
  ~NetnsOwner();
  NetnsOwner(NetnsOwner&& o) noexcept;
  NetnsOwner& operator=(NetnsOwner&& o) noexcept;
  NetnsOwner(const NetnsOwner&) = delete;
  NetnsOwner& operator=(const NetnsOwner&) = delete;

  const std::string& name() const { return name_; }
  bool created() const { return created_; }

 private:
  std::string name_;
  bool created_ = false;
};

}  // namespace ustack::tun
