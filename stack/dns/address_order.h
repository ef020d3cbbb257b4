// RFC 6724 §6 destination address selection: the order getaddrinfo() returns addresses in.
//
// The caller supplies source_for(dst): the source address the stack would use toward dst
// (IpSender::select_source), or nullopt when dst is unreachable. The rules applied, in order:
//   1  avoid unusable destinations (no source address);
//   2  prefer matching scope (Scope(D) == Scope(Source(D)));
//   5  prefer matching label (Label(Source(D)) == Label(D));
//   6  prefer higher precedence;
//   8  prefer smaller scope;
//   9  longest matching prefix with the source, only between two destinations of the same
//      family: CommonPrefixLen counts at most 64 bits for IPv6 (we do not know the source's
//      prefix length; 64 is what RFC 6724 §2.2 assumes) and all 32 for IPv4 (glibc limits
//      IPv4 to the source's subnet; this can undo DNS round robin, RFC 6724 §10.6 notes);
//  10  otherwise keep the order received (std::stable_sort).
// Rules 3 (avoid deprecated addresses), 4 (prefer home addresses) and 7 (prefer native
// transport) do not apply: ustack has no deprecated source addresses as seen through
// select_source, no Mobile IPv6 and no tunnel interfaces.
// Precedence and label come from the RFC 6724 §2.1 default policy table, IPv4 looked up as
// its IPv4-mapped form (::ffff:0:0/96); scopes follow RFC 6724 §3.1 (IPv4 loopback and
// 169.254/16 are link-local, other IPv4 global; IPv6 multicast scope from the address,
// link-local and loopback link-local, fec0::/10 site-local, the rest global).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "stack/base/addr.h"
#include "stack/base/function_ref.h"

namespace ustack {

using SourceFor = FunctionRef<std::optional<IpAddr>(const IpAddr&)>;

struct AddressPolicy {
  std::uint8_t precedence = 0;
  std::uint8_t label = 0;
};
// The RFC 6724 §2.1 default policy table entry for `a` (longest matching prefix).
AddressPolicy default_policy(const IpAddr& a);
// RFC 6724 §3.1 / RFC 4291 §2.7 scope values: 1 interface-local, 2 link-local, 5 site-local,
// 8 organization-local, 14 global.
std::uint8_t address_scope(const IpAddr& a);

// The permutation of `dsts` in RFC 6724 order: out[i] is the index of the i-th best.
std::vector<std::size_t> rfc6724_order(std::span<const IpAddr> dsts, SourceFor source_for);
// Sorts `dsts` in place.
void sort_destinations(std::vector<IpAddr>& dsts, SourceFor source_for);

}  // namespace ustack
