// The hosts table (hosts(5)): static name-to-address entries consulted before DNS.
//
// Format, as glibc's files backend reads it: one entry per line, "ADDRESS NAME [ALIAS...]",
// '#' starts a comment, fields separated by blanks. IPv4 (dotted quad) and IPv6 addresses;
// a scoped IPv6 address ("fe80::1%eth0") is skipped with a warning (ustack has no scope
// ids). Names match without regard to ASCII case (RFC 4343) and without a trailing dot.
// A name listed on several lines gets every address, in file order, without duplicates
// (glibc's gethostbyname4 for getaddrinfo); the canonical name is the first name of the first
// line that lists it.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "stack/base/addr.h"

namespace ustack {

struct HostsMatch {
  std::string canonical;      // the first name on the first matching line
  std::vector<IpAddr> addrs;  // file order
};

struct HostsParse;

class HostsTable {
 public:
  static HostsParse parse(std::string_view text);

  // Adds `addr` for `name` (and makes `name` canonical if it is new).
  void add(std::string_view name, const IpAddr& addr) { add_line(addr, {name}); }
  // One hosts line: the first name is canonical for the others.
  void add_line(const IpAddr& addr, const std::vector<std::string_view>& names);
  // Every address of `name` (any case, trailing dot ignored); nullopt if it is not listed.
  std::optional<HostsMatch> lookup(std::string_view name) const;
  std::size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }

 private:
  std::unordered_map<std::string, HostsMatch> entries_;  // key: lowercase, no trailing dot
};

struct HostsParse {
  HostsTable table;
  std::vector<std::string> warnings;  // "line 3: bad address '10.0.0'"
};

// ASCII lowercase, without one trailing dot: the key for hosts and cache lookups.
std::string normalize_host_name(std::string_view name);

}  // namespace ustack
