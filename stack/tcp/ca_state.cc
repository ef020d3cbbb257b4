#include "stack/tcp/ca_state.h"

#include <array>
#include <string>

namespace ustack {

const char* to_string(CaState s) {
  switch (s) {
    case CaState::kOpen:
      return "Open";
    case CaState::kDisorder:
      return "Disorder";
    case CaState::kCwr:
      return "CWR";
    case CaState::kRecovery:
      return "Recovery";
    case CaState::kLoss:
      return "Loss";
  }
  return "?";
}

const char* ca_transition_name(CaState from, CaState to) {
  static const auto* names = [] {
    auto* n = new std::array<std::string, kCaStateCount * kCaStateCount>();
    for (int f = 0; f < kCaStateCount; ++f) {
      for (int t = 0; t < kCaStateCount; ++t) {
        (*n)[f * kCaStateCount + t] = std::string(to_string(static_cast<CaState>(f))) + "->" +
                                      to_string(static_cast<CaState>(t));
      }
    }
    return n;
  }();
  return (*names)[static_cast<int>(from) * kCaStateCount + static_cast<int>(to)].c_str();
}

}  // namespace ustack
