#include "sandbox/privileges.h"

#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace ustack::sandbox {
namespace {

std::string failed(const std::string& what) { return what + ": " + std::strerror(errno); }

std::optional<std::uint32_t> number(std::string_view s) {
  std::uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

// slirp4netns's add_mount: `from` bound at `to` read-only, nosuid, nodev, noexec; mount events
// do not propagate back.
std::string bind_read_only(const char* from, const char* to) {
  if (::mount("", from, "", MS_SLAVE | MS_REC, nullptr) != 0 && errno != EINVAL) {
    return failed(std::string("make ") + from + " a slave mount");
  }
  unsigned long flags = MS_BIND | MS_REC | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  if (::mount(from, to, "", flags, nullptr) != 0) {
    return failed(std::string("bind ") + from + " at " + to);
  }
  if (::mount(from, to, "", flags | MS_REMOUNT | MS_RDONLY, nullptr) != 0) {
    return failed(std::string("remount ") + to + " read-only");
  }
  return "";
}

}  // namespace

std::optional<UserSpec> parse_user(std::string_view spec, std::string& error) {
  std::string_view user = spec.substr(0, spec.find(':'));
  std::optional<std::string_view> group;
  if (user.size() < spec.size()) group = spec.substr(user.size() + 1);
  UserSpec out;
  if (std::optional<std::uint32_t> n = number(user)) {
    out.uid = *n;
    out.gid = *n;
  } else if (const passwd* pw = ::getpwnam(std::string(user).c_str())) {
    out.uid = pw->pw_uid;
    out.gid = pw->pw_gid;
  } else {
    error = "--user " + std::string(spec) + ": no user " + std::string(user);
    return std::nullopt;
  }
  if (group) {
    if (std::optional<std::uint32_t> n = number(*group)) {
      out.gid = *n;
    } else if (const struct group* gr = ::getgrnam(std::string(*group).c_str())) {
      out.gid = gr->gr_gid;
    } else {
      error = "--user " + std::string(spec) + ": no group " + std::string(*group);
      return std::nullopt;
    }
  }
  if (out.uid == 0) {
    error = "--user " + std::string(spec) + ": uid 0 keeps root's privileges";
    return std::nullopt;
  }
  return out;
}

std::string enter_empty_root() {
  // The steps of slirp4netns's create_sandbox (sandbox.c), without its resolv.conf symlink
  // case: ustack has read resolv.conf before this.
  if (::unshare(CLONE_NEWNS) != 0) return failed("unshare(CLONE_NEWNS)");
  if (::mount("", "/", "", MS_PRIVATE | MS_REC, nullptr) != 0) return failed("make / private");
  if (::mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=1k") != 0) {
    return failed("mount a tmpfs on /tmp");
  }
  for (const char* dir : {"/tmp/etc", "/tmp/run", "/tmp/old"}) {
    if (::mkdir(dir, 0755) != 0) return failed(std::string("mkdir ") + dir);
  }
  if (std::string e = bind_read_only("/etc", "/tmp/etc"); !e.empty()) return e;
  if (std::string e = bind_read_only("/run", "/tmp/run"); !e.empty()) return e;
  if (::chdir("/tmp") != 0) return failed("chdir /tmp");
  if (::syscall(SYS_pivot_root, ".", "old") != 0) return failed("pivot_root to /tmp");
  if (::chdir("/") != 0) return failed("chdir /");
  if (::umount2("/old", MNT_DETACH) != 0) return failed("umount /old");
  if (::rmdir("/old") != 0) return failed("rmdir /old");
  // slirp4netns ignores a failure here too (its #163).
  ::mount("tmpfs", "/", "tmpfs", MS_REMOUNT | MS_RDONLY, "size=0k");
  return "";
}

std::string drop_privileges(const std::optional<UserSpec>& user, bool keep_net_bind_service) {
  if (::prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0) {
    return failed("prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
  }
  // The bounding set: every capability up to the kernel's last (EINVAL beyond it).
  for (int cap = 0;; ++cap) {
    if (keep_net_bind_service && cap == CAP_NET_BIND_SERVICE) continue;
    if (::prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0) {
      if (errno == EINVAL) break;
      return failed("prctl(PR_CAPBSET_DROP)");
    }
  }
  if (user) {
    // Capabilities survive the uid change only if asked (then trimmed by capset below).
    if (keep_net_bind_service && ::prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) {
      return failed("prctl(PR_SET_KEEPCAPS)");
    }
    if (::setgroups(1, &user->gid) != 0) return failed("setgroups");
    if (::setresgid(user->gid, user->gid, user->gid) != 0) return failed("setresgid");
    if (::setresuid(user->uid, user->uid, user->uid) != 0) return failed("setresuid");
  }
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (keep_net_bind_service) {
    std::uint32_t bit = 1u << CAP_NET_BIND_SERVICE;
    data[0].effective = data[0].permitted = data[0].inheritable = bit;
  }
  if (::syscall(SYS_capset, &header, data) != 0) return failed("capset");
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return failed("prctl(PR_SET_NO_NEW_PRIVS)");
  return "";
}

}  // namespace ustack::sandbox
