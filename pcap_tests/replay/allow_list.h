// Intended differences from Linux: an allow-list file says which divergences a comparison
// accepts, each with its reason, so "no unexplained difference" means something.
//
// One rule per line; '#' starts a comment:
//
//   FIELD  SEGMENTS  REASON...
//
//   win    S.        ustack's first window is its whole receive ring; Linux starts at 64240
//
// FIELD is a compared field (flags psh seq ack len payload win zero-win urg mss wscale wscale-shift
// sackOK ts sack timing; `packet` for an ICMP error or an IP fragment, compared as text),
// `missing` (the kernel sent a segment ustack did not), `extra` (the reverse), `stopped` (the
// replay could not go on, engine.h) or `*`.
// SEGMENTS is a glob (`*`, `?`) over the kernel segment's flags as the ladder prints them
// ("S.", "P.", "F.", ".", "R", "udp"); for `extra`, over ustack's. REASON is required.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ustack::replay {

struct AllowRule {
  std::string field;
  std::string segments;
  std::string reason;
  std::string origin;  // "FILE:LINE"
};

class AllowList {
 public:
  // Parses rules; throws ReplayInputError ("FILE:3: a rule needs FIELD SEGMENTS REASON") on a
  // malformed line or an unknown field.
  static AllowList parse(std::string_view text, const std::string& origin);
  // Reads a file (throws ReplayInputError when it cannot be read).
  static AllowList load(const std::string& path);

  void append(const AllowList& o);
  // The first rule that accepts a divergence in `field` of a segment with flags `flags`.
  const AllowRule* match(std::string_view field, std::string_view flags) const;
  const std::vector<AllowRule>& rules() const { return rules_; }

 private:
  std::vector<AllowRule> rules_;
};

// fnmatch-style glob with '*' and '?'.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace ustack::replay
