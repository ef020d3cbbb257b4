// Result<T, E>: a value or a named error, for code that must not throw (parsers, the core).
//
// Parsers return Result<Repr> with a ParseError that names why the input was rejected; the
// reason ends up in a drop counter and in `ustack dump` output.
#pragma once

#include <cassert>
#include <cstdint>
#include <utility>
#include <variant>

namespace ustack {

// Why a parser rejected its input. One list for every wire format so counters and tools can
// print any of them; to_string() gives the name used in counters ("truncated", ...).
enum class ParseError : std::uint8_t {
  kTruncated,        // shorter than a header or a length field says
  kBadLength,        // a length field is inconsistent (too small, or larger than the buffer)
  kBadChecksum,      // checksum does not verify
  kBadVersion,       // IP version / ARP hardware or protocol type not ours
  kBadHeaderLength,  // IHL / data offset below the minimum
  kBadOption,        // malformed option or TLV (length 0, runs past the header, ...)
  kBadType,          // type/code not valid for this message
  kBadAddress,       // source or destination address not allowed here
  kBadValue,         // a field holds a value the format forbids
  kUnknownHeader,    // IPv6 next-header chain reaches a header we cannot walk
  kTooManyHeaders,   // extension-header chain longer than our limit
  kLabelTooLong,     // DNS label > 63 octets
  kNameTooLong,      // DNS name > 255 octets
  kPointerLoop,      // DNS compression pointer loop or forward pointer
  kTooManyRecords,   // DNS counts larger than the message could hold
  kUnsupported,      // valid but outside what we implement (reported, not a bug)
};

const char* to_string(ParseError e);

// Tag type so `return Err(ParseError::kTruncated);` converts to any Result<T>.
template <typename E>
struct Err {
  E error;
  explicit Err(E e) : error(e) {}
};

template <typename T, typename E = ParseError>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Err<E> e) : v_(std::in_place_index<1>, e.error) {}

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  E error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, E> v_;
};

}  // namespace ustack
