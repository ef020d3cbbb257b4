#include "tun/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "tun/link.h"
#include "tun/sys_error.h"

namespace ustack::tun {
namespace {

constexpr const char* kNetnsRunDir = "/run/netns";

UniqueFd open_current_netns() {
  // thread-self: namespaces are per thread, and this thread is the one we switch.
  int fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw_errno("cannot open /proc/thread-self/ns/net", errno);
  return UniqueFd(fd);
}

// iproute2's netns_add: make /run/netns a shared mount so that namespace mounts made here
// propagate to other mount namespaces (and theirs to ours).
void prepare_run_dir() {
  if (::mkdir("/run", 0755) != 0 && errno != EEXIST) throw_errno("cannot create /run", errno);
  if (::mkdir(kNetnsRunDir, 0755) != 0 && errno != EEXIST) {
    throw_errno(std::string("cannot create ") + kNetnsRunDir, errno);
  }
  bool made_bind = false;
  while (::mount("", kNetnsRunDir, "none", MS_SHARED | MS_REC, nullptr) != 0) {
    // EINVAL: /run/netns is not a mount point yet; bind it onto itself and retry once.
    if (errno != EINVAL || made_bind) {
      throw_errno(std::string("cannot make ") + kNetnsRunDir + " a shared mount", errno);
    }
    if (::mount(kNetnsRunDir, kNetnsRunDir, "none", MS_BIND | MS_REC, nullptr) != 0) {
      throw_errno(std::string("cannot bind-mount ") + kNetnsRunDir, errno);
    }
    made_bind = true;
  }
}

}  // namespace

std::string netns_path(const std::string& name) {
  if (!name.empty() && name[0] == '/') return name;  // a namespace file: /proc/PID/ns/net
  return std::string(kNetnsRunDir) + "/" + name;
}

bool netns_exists(const std::string& name) {
  struct stat st;
  return !name.empty() && ::stat(netns_path(name).c_str(), &st) == 0;
}

void netns_create(const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
    throw SysError(EINVAL, "bad network namespace name '" + name + "'");
  }
  prepare_run_dir();
  const std::string path = netns_path(name);
  int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (fd < 0) {
    if (errno == EEXIST) throw SysError(EEXIST, "network namespace " + name + " already exists");
    throw_errno("cannot create " + path, errno);
  }
  ::close(fd);

  UniqueFd original = open_current_netns();
  if (::unshare(CLONE_NEWNET) != 0) {
    int err = errno;
    ::unlink(path.c_str());
    throw_errno("cannot create network namespace " + name, err);
  }
  int err = 0;
  if (::mount("/proc/thread-self/ns/net", path.c_str(), "none", MS_BIND, nullptr) != 0) err = errno;
  if (err == 0) {
    // A fresh namespace has lo down; ping to one's own addresses needs it up.
    try {
      set_link_up("lo");
    } catch (const SysError& e) {
      err = e.error_number();
    }
  }
  if (::setns(original.get(), CLONE_NEWNET) != 0 && err == 0) err = errno;
  if (err != 0) {
    ::umount2(path.c_str(), MNT_DETACH);
    ::unlink(path.c_str());
    throw_errno("cannot create network namespace " + name, err);
  }
}

bool netns_delete(const std::string& name) {
  if (name.empty()) return false;
  const std::string path = netns_path(name);
  ::umount2(path.c_str(), MNT_DETACH);
  return ::unlink(path.c_str()) == 0;
}

NetnsScope::NetnsScope(const std::string& name) {
  if (name.empty()) return;
  int target = ::open(netns_path(name).c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) {
    if (errno == ENOENT) {
      throw SysError(ENOENT, "network namespace " + name +
                                 " does not exist (create it with `ip netns add " + name + "`)");
    }
    throw_errno("cannot open network namespace " + name, errno);
  }
  UniqueFd target_fd(target);
  original_ = open_current_netns();
  if (::setns(target_fd.get(), CLONE_NEWNET) != 0) {
    int err = errno;
    original_.reset();
    throw_errno("cannot enter network namespace " + name, err);
  }
}

NetnsScope::~NetnsScope() {
  if (original_.valid()) ::setns(original_.get(), CLONE_NEWNET);
}

NetnsOwner::NetnsOwner(const std::string& name, bool create_if_missing) : name_(name) {
  if (netns_exists(name)) return;
  if (!create_if_missing) {
    throw SysError(ENOENT, "network namespace " + name + " does not exist");
  }
  netns_create(name);
  created_ = true;
}

NetnsOwner::~NetnsOwner() {
  if (created_) netns_delete(name_);
}

NetnsOwner::NetnsOwner(NetnsOwner&& o) noexcept
    : name_(std::move(o.name_)), created_(std::exchange(o.created_, false)) {}

NetnsOwner& NetnsOwner::operator=(NetnsOwner&& o) noexcept {
  if (this != &o) {
    if (created_) netns_delete(name_);
    name_ = std::move(o.name_);
    created_ = std::exchange(o.created_, false);
  }
  return *this;
}

}  // namespace ustack::tun
