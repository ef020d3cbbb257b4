// The body `ustack serve http:PORT` sends for /bytes/N: deterministic, self-describing, and
// cheap to produce at any offset, so a client can check every byte (and its SHA-256 is known).
//
// The body is a sequence of 16-byte lines; the line starting at byte offset K (a multiple of
// 16) reads K as 15 lowercase hex digits followed by '\n':
//
//   000000000000000\n000000000000010\n000000000000020\n ...
//
// cut to N bytes. A lost, duplicated or reordered piece of the stream shows as a wrong line.
// The same body in Python: b"".join(b"%015x\n" % k for k in range(0, N + 15, 16))[:N]
#pragma once

#include <cstdint>

#include "stack/base/bytes.h"

namespace ustack::services {

// Writes body bytes [offset, offset + out.size()) into `out`.
void fill_generated_body(std::uint64_t offset, MutBytes out);

}  // namespace ustack::services
