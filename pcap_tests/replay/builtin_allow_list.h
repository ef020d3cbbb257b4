// The project's allow list (pcap_tests/replay/allowed_differences.txt), compiled in so that
// `ustack replay` applies it anywhere, not only in a source tree.
#pragma once

#include "pcap_tests/replay/allow_list.h"

namespace ustack::replay {

const AllowList& builtin_allow_list();

}  // namespace ustack::replay
