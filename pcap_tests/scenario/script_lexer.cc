#include "pcap_tests/scenario/script_lexer.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cctype>
#include <cerrno>
#include <utility>

namespace ustack::scenario {

namespace {

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// The system headers' macros: this only builds on Linux, so they are Linux's numbers, the
// ones packetdrill scripts are written against.
constexpr std::pair<std::string_view, long> kSymbols[] = {
    {"AF_INET", AF_INET},           {"AF_INET6", AF_INET6},
    {"SOCK_STREAM", SOCK_STREAM},   {"SOCK_DGRAM", SOCK_DGRAM},
    {"IPPROTO_IP", IPPROTO_IP},     {"IPPROTO_TCP", IPPROTO_TCP},
    {"IPPROTO_UDP", IPPROTO_UDP},   {"IPPROTO_IPV6", IPPROTO_IPV6},
    {"SOL_SOCKET", SOL_SOCKET},     {"SOL_TCP", IPPROTO_TCP},
    {"SOL_IP", IPPROTO_IP},         {"SOL_IPV6", IPPROTO_IPV6},
    {"SO_REUSEADDR", SO_REUSEADDR}, {"SO_REUSEPORT", SO_REUSEPORT},
    {"SO_TYPE", SO_TYPE},           {"SO_ERROR", SO_ERROR},
    {"SO_BROADCAST", SO_BROADCAST}, {"SO_KEEPALIVE", SO_KEEPALIVE},
    {"SO_SNDBUF", SO_SNDBUF},       {"SO_RCVBUF", SO_RCVBUF},
    {"TCP_NODELAY", TCP_NODELAY},   {"TCP_MAXSEG", TCP_MAXSEG},
    {"TCP_KEEPIDLE", TCP_KEEPIDLE}, {"TCP_KEEPINTVL", TCP_KEEPINTVL},
    {"TCP_KEEPCNT", TCP_KEEPCNT},   {"F_GETFL", F_GETFL},
    {"F_SETFL", F_SETFL},           {"O_RDONLY", O_RDONLY},
    {"O_WRONLY", O_WRONLY},         {"O_RDWR", O_RDWR},
    {"O_NONBLOCK", O_NONBLOCK},     {"SHUT_RD", SHUT_RD},
    {"SHUT_WR", SHUT_WR},           {"SHUT_RDWR", SHUT_RDWR},
    {"MSG_OOB", MSG_OOB},           {"SO_OOBINLINE", SO_OOBINLINE},
};

constexpr std::pair<std::string_view, int> kErrnos[] = {
    {"EPERM", EPERM},
    {"EBADF", EBADF},
    {"EINTR", EINTR},
    {"EAGAIN", EAGAIN},
    {"EWOULDBLOCK", EWOULDBLOCK},
    {"EINVAL", EINVAL},
    {"EPIPE", EPIPE},
    {"ENOTSOCK", ENOTSOCK},
    {"EDESTADDRREQ", EDESTADDRREQ},
    {"EMSGSIZE", EMSGSIZE},
    {"ENOPROTOOPT", ENOPROTOOPT},
    {"EPROTONOSUPPORT", EPROTONOSUPPORT},
    {"EOPNOTSUPP", EOPNOTSUPP},
    {"EAFNOSUPPORT", EAFNOSUPPORT},
    {"EADDRINUSE", EADDRINUSE},
    {"EADDRNOTAVAIL", EADDRNOTAVAIL},
    {"ENETUNREACH", ENETUNREACH},
    {"ECONNABORTED", ECONNABORTED},
    {"ECONNRESET", ECONNRESET},
    {"EISCONN", EISCONN},
    {"ENOTCONN", ENOTCONN},
    {"ETIMEDOUT", ETIMEDOUT},
    {"ECONNREFUSED", ECONNREFUSED},
    {"EHOSTUNREACH", EHOSTUNREACH},
    {"EALREADY", EALREADY},
    {"EINPROGRESS", EINPROGRESS},
};

}  // namespace

void LineCursor::skip_ws() {
  while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_])) != 0) ++i_;
}

bool LineCursor::at_end() {
  skip_ws();
  return i_ >= s_.size();
}

char LineCursor::peek() {
  skip_ws();
  return i_ < s_.size() ? s_[i_] : '\0';
}

bool LineCursor::eat(std::string_view token) {
  skip_ws();
  if (s_.substr(i_).starts_with(token)) {
    i_ += token.size();
    return true;
  }
  return false;
}

std::string LineCursor::word() {
  skip_ws();
  std::size_t start = i_;
  while (i_ < s_.size() && is_word_char(s_[i_])) ++i_;
  return std::string(s_.substr(start, i_ - start));
}

std::optional<std::uint64_t> LineCursor::number() {
  skip_ws();
  std::size_t p = i_;
  int base = 10;
  if (s_.substr(p).starts_with("0x") || s_.substr(p).starts_with("0X")) {
    base = 16;
    p += 2;
  }
  std::uint64_t v = 0;
  std::size_t digits = 0;
  for (; p < s_.size(); ++p, ++digits) {
    char c = s_[p];
    int d = std::isdigit(static_cast<unsigned char>(c)) != 0 ? c - '0'
            : base == 16 && std::isxdigit(static_cast<unsigned char>(c)) != 0
                ? std::tolower(static_cast<unsigned char>(c)) - 'a' + 10
                : -1;
    if (d < 0) break;
    v = v * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(d);
    if (v > 0xffffffffffffull) return std::nullopt;  // no script value is this large
  }
  if (digits == 0) return std::nullopt;
  i_ = p;
  return v;
}

std::optional<Duration> LineCursor::seconds() {
  skip_ws();
  std::size_t p = i_;
  std::int64_t whole = 0;
  std::size_t digits = 0;
  while (p < s_.size() && std::isdigit(static_cast<unsigned char>(s_[p])) != 0) {
    whole = whole * 10 + (s_[p++] - '0');
    if (++digits > 9) return std::nullopt;  // more than 31 years: a typo
  }
  std::int64_t nanos = 0;
  // A '.' starts a fraction only if a digit follows: "0...1" is a blocking range, not "0.".
  if (p + 1 < s_.size() && s_[p] == '.' && std::isdigit(static_cast<unsigned char>(s_[p + 1]))) {
    ++p;
    std::int64_t scale = 100'000'000;
    while (p < s_.size() && std::isdigit(static_cast<unsigned char>(s_[p])) != 0) {
      nanos += (s_[p++] - '0') * scale;
      scale /= 10;
      ++digits;
    }
  }
  if (digits == 0) return std::nullopt;
  i_ = p;
  return Duration::seconds(whole) + Duration::nanos(nanos);
}

std::string_view LineCursor::rest() {
  skip_ws();
  std::string_view r = s_.substr(i_);
  while (!r.empty() && std::isspace(static_cast<unsigned char>(r.back())) != 0) r.remove_suffix(1);
  return r;
}

std::optional<long> symbol_value(std::string_view name) {
  for (const auto& [n, v] : kSymbols) {
    if (n == name) return v;
  }
  return std::nullopt;
}

std::optional<int> errno_value(std::string_view name) {
  for (const auto& [n, v] : kErrnos) {
    if (n == name) return v;
  }
  return std::nullopt;
}

std::string errno_name(int err) {
  for (const auto& [n, v] : kErrnos) {
    if (v == err) return std::string(n);
  }
  return "errno " + std::to_string(err);
}

}  // namespace ustack::scenario
