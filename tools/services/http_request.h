// HTTP/1.x request heads (RFC 9112 §2-§3, §6, §9.3): request line and the header fields the
// server acts on. Bounded and non-throwing: a head that is malformed or too large gets a
// status code to answer with.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ustack::services {

struct HttpRequest {
  std::string method;
  std::string target;      // as sent: "/bytes/100?x=1"
  int minor_version = 1;   // HTTP/1.<minor>
  bool keep_alive = true;  // RFC 9112 §9.3: 1.1 persists unless "close"; 1.0 only if asked
  std::uint64_t content_length = 0;
  std::size_t head_len = 0;  // bytes of the head, up to and including the empty line
  // Range and conditional requests (RFC 9110 §14.2, §13.1), the field values as sent; absent
  // when the field is. A repeated If-None-Match is joined into one list (§5.3).
  std::optional<std::string> range;
  std::optional<std::string> if_modified_since;
  std::optional<std::string> if_none_match;
  std::optional<std::string> if_range;
};

struct HttpParse {
  enum class Kind { kIncomplete, kRequest, kError };
  Kind kind = Kind::kIncomplete;
  HttpRequest request;  // for kRequest
  int status = 0;       // for kError: 400, 414, 431, 501, 505
  std::string reason;   // for kError: why, for the response body and the log
};

// Largest request head we accept (431 beyond it), and the longest request line (414).
inline constexpr std::size_t kMaxHttpHead = 16 * 1024;
inline constexpr std::size_t kMaxHttpRequestLine = 8 * 1024;

// Parses the head at the start of `in`. kIncomplete until the empty line arrives.
HttpParse parse_http_request(std::string_view in);

// The path of a request target without query or fragment, percent-decoded; empty if the
// target is neither origin-form (RFC 9112 §3.2.1) nor an http/https absolute-form
// (§3.2.2, whose path is used and whose host is not looked at: we serve one site), or if it
// decodes to a NUL byte.
std::string decode_request_path(std::string_view target);

}  // namespace ustack::services
