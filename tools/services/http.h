// The `http` service: HTTP/1.1 with persistent connections and Content-Length bodies (no
// chunked encoding), GET and HEAD, over one of two content sources:
//   GeneratedContent  /bytes/N gives N bytes of the generated body (generated_body.h), /
//                     a short text saying so;
//   DirectoryContent  files under a directory, a listing for directories.
// Errors are answered with a status and a one-line text body: 400 (malformed request or
// path), 404, 405 (other methods), 414/431 (too long), 501 (Transfer-Encoding), 505.
// Bodies can be fetched in byte ranges (206/416) and files revalidated with If-Modified-Since
// (304): http_conditional.h. Every response carries a Date (RFC 9110 §6.6.1) from the time
// the session is stepped with.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "stack/base/bytes.h"
#include "tools/services/http_request.h"
#include "tools/services/session.h"

namespace ustack::services {

// A response body that can be read at any offset (the session sends it piecewise).
class HttpBody {
 public:
  virtual ~HttpBody() = default;
  virtual std::uint64_t size() const = 0;
  // Fills `out` with bytes [offset, offset + out.size()); false on a read error.
  virtual bool read(std::uint64_t offset, MutBytes out) = 0;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain";
  std::string location;  // for redirects
  std::unique_ptr<HttpBody> body;
  // The body can be served in byte ranges ("Accept-Ranges: bytes", RFC 9110 §14.3).
  bool byte_ranges = false;
  // Last-Modified (RFC 9110 §8.8.2), Unix seconds: a file's mtime.
  std::optional<std::int64_t> last_modified;
  // Content-Range (RFC 9110 §14.4), for 206 and 416.
  std::string content_range;
};

HttpResponse text_response(int status, std::string text);
const char* http_reason(int status);

class HttpContent {
 public:
  virtual ~HttpContent() = default;
  // The response to GET `path` (percent-decoded, no query), or an error response.
  virtual HttpResponse get(const std::string& path) = 0;
};

class GeneratedContent final : public HttpContent {
 public:
  // Larger /bytes/N requests get 400, so a typo cannot ask for exabytes.
  static constexpr std::uint64_t kMaxBytes = std::uint64_t{1} << 40;
  HttpResponse get(const std::string& path) override;
};

// Serves the files under `root`. Nothing that resolves outside it is served — not "..", not a
// symlink pointing out (openat2 with RESOLVE_BENEATH, Linux 5.6; where the kernel lacks it, the
// resolved path is checked against the root's) — the answer is 403.
class DirectoryContent final : public HttpContent {
 public:
  explicit DirectoryContent(std::string root) : root_(std::move(root)) {}
  HttpResponse get(const std::string& path) override;

 private:
  // An fd for `rel` (relative to the root, "" = the root) opened beneath the root, or -1 with
  // errno (EXDEV: it resolves outside).
  int open_beneath(const std::string& rel, int flags) const;

  std::string root_;
};

struct HttpSessionStats {
  std::uint64_t requests = 0;
  std::uint64_t body_bytes_sent = 0;
};

class HttpSession final : public Session {
 public:
  // `unix_offset` turns the Instants step() is called with into Unix time (now + unix_offset),
  // for Date, Last-Modified and If-Modified-Since: the command adds the real clock's offset
  // (tun::steady_clock_epoch_offset()), tests choose their own.
  HttpSession(HttpContent& content, Duration unix_offset, std::size_t buffer_size = 64 * 1024);
  SessionStatus step(Instant now, Stream& s) override;
  const HttpSessionStats& stats() const { return stats_; }

 private:
  enum class Phase { kReading, kSkippingBody, kSendingHead, kSendingBody };
  // Parses what is buffered and prepares the response; false if more input is needed.
  bool take_request(std::int64_t now_unix);
  void start_response(HttpResponse r, bool head_only, std::int64_t now_unix);
  SessionStatus send(Stream& s);

  HttpContent& content_;
  Duration unix_offset_;
  Phase phase_ = Phase::kReading;
  std::string in_;  // received, not yet consumed
  bool in_eof_ = false;
  bool keep_alive_ = true;
  std::uint64_t skip_ = 0;  // request body bytes still to discard
  std::string head_;        // the response head being sent
  std::size_t head_sent_ = 0;
  std::unique_ptr<HttpBody> body_;
  std::uint64_t body_sent_ = 0;
  ScratchBuffer chunk_;  // body bytes read from the source, [chunk_begin_, chunk_end_) not yet sent
  std::size_t chunk_begin_ = 0;
  std::size_t chunk_end_ = 0;
  HttpSessionStats stats_;
};

}  // namespace ustack::services
