#include "pcap_tests/replay/builtin_allow_list.h"

namespace ustack::replay {

const AllowList& builtin_allow_list() {
  static const AllowList list = AllowList::parse(
#include "pcap_tests/replay/allowed_differences.inc"
      , "allowed_differences.txt");
  return list;
}

}  // namespace ustack::replay
