#include "tools/services/http_request.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace ustack::services {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// RFC 9110 §5.6.2 token characters.
bool is_tchar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// True if the comma-separated list `value` contains `token` (case-insensitive).
bool list_has(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    std::size_t comma = value.find(',');
    if (iequals(trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

HttpParse error(int status, std::string reason) {
  HttpParse p;
  p.kind = HttpParse::Kind::kError;
  p.status = status;
  p.reason = std::move(reason);
  return p;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

HttpParse parse_http_request(std::string_view in) {
  // RFC 9112 §2.2: ignore at least one empty line before the request line.
  std::size_t start = 0;
  while (in.substr(start, 2) == "\r\n") start += 2;
  std::size_t end = in.find("\r\n\r\n", start);
  if (end == std::string_view::npos) {
    std::size_t line_end = in.find("\r\n", start);
    if (line_end == std::string_view::npos && in.size() - start > kMaxHttpRequestLine) {
      return error(414, "request line too long");
    }
    if (in.size() > kMaxHttpHead) return error(431, "request head too large");
    return {};
  }
  if (end + 4 > kMaxHttpHead) return error(431, "request head too large");
  std::string_view head = in.substr(start, end + 2 - start);  // every line ends in CRLF

  HttpParse p;
  p.kind = HttpParse::Kind::kRequest;
  HttpRequest& r = p.request;
  r.head_len = end + 4;

  // Request line: method SP request-target SP HTTP-version (RFC 9112 §3).
  std::size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  if (line.size() > kMaxHttpRequestLine) return error(414, "request line too long");
  std::size_t sp1 = line.find(' ');
  std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos) {
    return error(400, "malformed request line");
  }
  std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view version = line.substr(sp2 + 1);
  if (method.empty() || !std::all_of(method.begin(), method.end(), is_tchar)) {
    return error(400, "malformed method");
  }
  if (target.empty()) return error(400, "empty request target");
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      !std::isdigit(static_cast<unsigned char>(version[5])) ||
      !std::isdigit(static_cast<unsigned char>(version[7]))) {
    return error(400, "malformed HTTP version");
  }
  if (version[5] != '1') return error(505, "only HTTP/1.x is supported");
  r.method = std::string(method);
  r.target = std::string(target);
  r.minor_version = version[7] - '0';
  r.keep_alive = r.minor_version >= 1;

  // Header fields (RFC 9112 §5): name ":" OWS value OWS.
  bool have_length = false;
  std::string_view rest = head.substr(eol + 2);
  while (!rest.empty()) {
    std::size_t e = rest.find("\r\n");
    std::string_view field = rest.substr(0, e);
    rest.remove_prefix(e + 2);
    // RFC 9112 §5.2: obsolete line folding is rejected with 400.
    if (field.empty() || field.front() == ' ' || field.front() == '\t') {
      return error(400, "malformed header field");
    }
    std::size_t colon = field.find(':');
    if (colon == std::string_view::npos || colon == 0) return error(400, "malformed header field");
    std::string_view name = field.substr(0, colon);
    if (!std::all_of(name.begin(), name.end(), is_tchar)) {
      return error(400, "malformed header field name");  // RFC 9112 §5.1: no space before ':'
    }
    std::string_view value = trim(field.substr(colon + 1));
    if (iequals(name, "Content-Length")) {
      std::uint64_t n = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      // RFC 9112 §6.3: an invalid or conflicting Content-Length is unrecoverable.
      if (value.empty() || ec != std::errc() || ptr != value.data() + value.size() ||
          (have_length && n != r.content_length)) {
        return error(400, "bad Content-Length");
      }
      r.content_length = n;
      have_length = true;
    } else if (iequals(name, "Transfer-Encoding")) {
      return error(501, "Transfer-Encoding in requests is not supported");
    } else if (iequals(name, "Connection")) {
      if (list_has(value, "keep-alive")) r.keep_alive = true;
      if (list_has(value, "close")) r.keep_alive = false;  // "close" wins over anything else
    } else if (iequals(name, "Range")) {
      r.range = std::string(value);
    } else if (iequals(name, "If-Modified-Since")) {
      r.if_modified_since = std::string(value);
    } else if (iequals(name, "If-None-Match")) {
      r.if_none_match =
          r.if_none_match ? *r.if_none_match + ", " + std::string(value) : std::string(value);
    } else if (iequals(name, "If-Range")) {
      r.if_range = std::string(value);
    }
  }
  return p;
}

std::string decode_request_path(std::string_view target) {
  // RFC 9112 §3.2.2: absolute-form, "http://host:port/path?query" (what clients send to a
  // proxy, and what a server MUST accept). The scheme is case-insensitive (RFC 3986 §3.1);
  // the authority ends at the first '/', '?' or '#'; an empty path is "/" (RFC 9112 §3.3).
  for (std::string_view scheme : {"http://", "https://"}) {
    if (target.size() >= scheme.size() && iequals(target.substr(0, scheme.size()), scheme)) {
      std::string_view rest = target.substr(scheme.size());
      std::size_t path = rest.find_first_of("/?#");
      if (path == 0) return {};  // no authority: "http:///x" is not a URI we serve
      if (path == std::string_view::npos || rest[path] != '/') return "/";
      target = rest.substr(path);
      break;
    }
  }
  if (target.empty() || target.front() != '/') return {};
  target = target.substr(0, target.find_first_of("?#"));
  std::string out;
  out.reserve(target.size());
  for (std::size_t i = 0; i < target.size(); ++i) {
    char c = target[i];
    if (c == '%') {
      if (i + 2 >= target.size()) return {};
      int hi = hex_value(target[i + 1]), lo = hex_value(target[i + 2]);
      if (hi < 0 || lo < 0) return {};
      c = static_cast<char>(hi * 16 + lo);
      if (c == '\0') return {};
      i += 2;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace ustack::services
