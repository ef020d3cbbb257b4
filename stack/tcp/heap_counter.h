// Live heap bytes of the binary this library is linked into: it replaces the global operator
// new and delete with ones that count malloc_usable_size(). For tests and benchmarks that
// measure what a structure really costs on the heap (nodes, buckets, rounding); never linked
// into the stack itself.
#pragma once

#include <cstddef>

namespace ustack {

std::size_t heap_live_bytes();
// operator new calls so far (for "no allocation per packet" checks).
std::size_t heap_allocations();

}  // namespace ustack
