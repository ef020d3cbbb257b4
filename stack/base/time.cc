#include "stack/base/time.h"

#include <cstdio>

namespace ustack {

std::string Duration::to_string() const {
  char buf[48];
  std::int64_t a = ns_ < 0 ? -ns_ : ns_;
  const char* sign = ns_ < 0 ? "-" : "";
  if (a >= 1000'000'000) {
    std::snprintf(buf, sizeof buf, "%s%.3fs", sign, static_cast<double>(a) / 1e9);
  } else if (a >= 1000'000) {
    std::snprintf(buf, sizeof buf, "%s%.3gms", sign, static_cast<double>(a) / 1e6);
  } else if (a >= 1000) {
    std::snprintf(buf, sizeof buf, "%s%.3gus", sign, static_cast<double>(a) / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%s%lldns", sign, static_cast<long long>(a));
  }
  return buf;
}

std::string Instant::to_string() const {
  if (is_never()) return "never";
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.6fs", static_cast<double>(ns_) / 1e9);
  return buf;
}

}  // namespace ustack
