#include "tools/services/http.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstring>
#include <vector>

#include "tools/services/generated_body.h"
#include "tools/services/http_conditional.h"
#include "tools/services/http_date.h"

namespace ustack::services {
namespace {

class StringBody final : public HttpBody {
 public:
  explicit StringBody(std::string s) : s_(std::move(s)) {}
  std::uint64_t size() const override { return s_.size(); }
  bool read(std::uint64_t offset, MutBytes out) override {
    if (offset + out.size() > s_.size()) return false;
    std::memcpy(out.data(), s_.data() + offset, out.size());
    return true;
  }

 private:
  std::string s_;
};

class GeneratedBody final : public HttpBody {
 public:
  explicit GeneratedBody(std::uint64_t size) : size_(size) {}
  std::uint64_t size() const override { return size_; }
  bool read(std::uint64_t offset, MutBytes out) override {
    fill_generated_body(offset, out);
    return true;
  }

 private:
  std::uint64_t size_;
};

// An open regular file; the size is taken when it is opened (a file that shrinks while being
// sent makes read() fail and the connection is reset, since Content-Length was promised).
class FileBody final : public HttpBody {
 public:
  FileBody(int fd, std::uint64_t size) : fd_(fd), size_(size) {}
  ~FileBody() override { ::close(fd_); }
  std::uint64_t size() const override { return size_; }
  bool read(std::uint64_t offset, MutBytes out) override {
    std::size_t done = 0;
    while (done < out.size()) {
      ssize_t n =
          ::pread(fd_, out.data() + done, out.size() - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }

 private:
  int fd_;
  std::uint64_t size_;
};

std::string content_type_for(const std::string& path) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {".html", "text/html"}, {".htm", "text/html"},      {".txt", "text/plain"},
      {".css", "text/css"},   {".js", "text/javascript"}, {".json", "application/json"},
      {".png", "image/png"},  {".jpg", "image/jpeg"},     {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},  {".svg", "image/svg+xml"},  {".pcap", "application/vnd.tcpdump.pcap"},
  };
  for (const auto& [ext, type] : kTypes) {
    std::size_t n = std::strlen(ext);
    if (path.size() >= n && path.compare(path.size() - n, n, ext) == 0) return type;
  }
  return "application/octet-stream";
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

std::string url_escape(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || std::strchr("-._~", c) != nullptr) {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// True if the path has no "." or ".." segment, so it cannot leave the served directory.
bool path_stays_inside(const std::string& path) {
  std::size_t i = 0;
  while (i < path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string_view seg(path.data() + i, j - i);
    if (seg == "..") return false;
    i = j + 1;
  }
  return true;
}

// `dir_fd` is consumed (closed).
HttpResponse listing(int dir_fd, const std::string& path) {
  std::vector<std::string> names;
  if (DIR* d = ::fdopendir(dir_fd)) {
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      struct stat st;
      if (::fstatat(::dirfd(d), name.c_str(), &st, 0) == 0 && S_ISDIR(st.st_mode)) name += "/";
      names.push_back(std::move(name));
    }
    ::closedir(d);
  } else {
    ::close(dir_fd);
    return text_response(404, "not found\n");
  }
  std::sort(names.begin(), names.end());
  std::string html = "<!DOCTYPE html>\n<html><head><title>" + html_escape(path) +
                     "</title></head><body>\n<h1>" + html_escape(path) + "</h1>\n<ul>\n";
  for (const auto& n : names) {
    std::string href = url_escape(n.back() == '/' ? n.substr(0, n.size() - 1) : n);
    if (n.back() == '/') href += "/";
    html += "<li><a href=\"" + href + "\">" + html_escape(n) + "</a></li>\n";
  }
  html += "</ul></body></html>\n";
  HttpResponse r = text_response(200, std::move(html));
  r.content_type = "text/html";
  return r;
}

// `fd` is an open regular file described by `st`; the response owns it.
HttpResponse file_response(int fd, const std::string& name, const struct stat& st) {
  HttpResponse r;
  r.content_type = content_type_for(name);
  r.body = std::make_unique<FileBody>(fd, static_cast<std::uint64_t>(st.st_size));
  r.byte_ranges = true;
  r.last_modified = static_cast<std::int64_t>(st.st_mtim.tv_sec);
  return r;
}

}  // namespace

const char* http_reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 414:
      return "URI Too Long";
    case 416:
      return "Range Not Satisfiable";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

HttpResponse text_response(int status, std::string text) {
  HttpResponse r;
  r.status = status;
  r.body = std::make_unique<StringBody>(std::move(text));
  return r;
}

HttpResponse GeneratedContent::get(const std::string& path) {
  if (path == "/") {
    return text_response(200,
                         "ustack http: GET /bytes/N returns N bytes of generated data "
                         "(16-byte lines: the line's offset in hex, then a newline)\n");
  }
  constexpr std::string_view kPrefix = "/bytes/";
  if (path.compare(0, kPrefix.size(), kPrefix) != 0) return text_response(404, "not found\n");
  std::string_view digits = std::string_view(path).substr(kPrefix.size());
  std::uint64_t n = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (digits.empty() || ec != std::errc() || ptr != digits.data() + digits.size() ||
      n > kMaxBytes) {
    return text_response(400, "bad size: want /bytes/N with N a decimal number up to 2^40\n");
  }
  HttpResponse r;
  r.content_type = "application/octet-stream";
  r.body = std::make_unique<GeneratedBody>(n);
  r.byte_ranges = true;
  return r;
}

int DirectoryContent::open_beneath(const std::string& rel, int flags) const {
  const int root = ::open(root_.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) return -1;
  const std::string name = rel.empty() ? "." : rel;
  open_how how{};
  how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
  // RESOLVE_BENEATH: ".." above the root and symlinks leading out fail with EXDEV;
  // RESOLVE_NO_MAGICLINKS: no /proc/self/fd tricks.
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  int fd = static_cast<int>(::syscall(SYS_openat2, root, name.c_str(), &how, sizeof how));
  if (fd < 0 && errno == ENOSYS) {
    // A kernel older than 5.6: resolve, then require the result to lie under the root.
    char real_root[PATH_MAX], real[PATH_MAX];
    const std::string full = root_ + "/" + name;
    if (::realpath(root_.c_str(), real_root) == nullptr ||
        ::realpath(full.c_str(), real) == nullptr) {
      fd = -1;
    } else if (std::string r = real, base = real_root;
               r != base && !r.starts_with(base == "/" ? base : base + "/")) {
      errno = EXDEV;
      fd = -1;
    } else {
      fd = ::open(real, flags | O_CLOEXEC);
    }
  }
  const int saved = errno;
  ::close(root);
  errno = saved;
  return fd;
}

HttpResponse DirectoryContent::get(const std::string& path) {
  if (!path_stays_inside(path)) return text_response(400, "bad path\n");
  const std::string rel = path.substr(1);  // path starts with '/'
  auto refused = [] {
    if (errno == EXDEV || errno == ELOOP) return text_response(403, "forbidden\n");
    return text_response(errno == EACCES ? 403 : 404, "not found\n");
  };
  int fd = open_beneath(rel, O_RDONLY | O_NONBLOCK);
  if (fd < 0) return refused();
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    return text_response(404, "not found\n");
  }
  if (S_ISDIR(st.st_mode)) {
    if (!path.ends_with('/')) {
      ::close(fd);
      HttpResponse r = text_response(301, "moved\n");
      r.location = url_escape(path.substr(path.rfind('/') + 1)) + "/";
      return r;
    }
    const int index = open_beneath(rel + "index.html", O_RDONLY | O_NONBLOCK);
    struct stat ist;
    if (index >= 0 && ::fstat(index, &ist) == 0 && S_ISREG(ist.st_mode)) {
      ::close(fd);
      return file_response(index, "index.html", ist);
    }
    if (index >= 0) ::close(index);
    return listing(fd, path);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return text_response(404, "not found\n");
  }
  return file_response(fd, path, st);
}

HttpSession::HttpSession(HttpContent& content, Duration unix_offset, std::size_t buffer_size)
    : content_(content), unix_offset_(unix_offset), chunk_(buffer_size) {}

bool HttpSession::take_request(std::int64_t now_unix) {
  if (skip_ > 0) {
    std::size_t drop = static_cast<std::size_t>(std::min<std::uint64_t>(skip_, in_.size()));
    in_.erase(0, drop);
    skip_ -= drop;
    if (skip_ > 0) return false;
  }
  HttpParse p = parse_http_request(in_);
  if (p.kind == HttpParse::Kind::kIncomplete) return false;
  if (p.kind == HttpParse::Kind::kError) {
    // The stream can no longer be framed: answer and close (RFC 9112 §9.6 / §6.3).
    keep_alive_ = false;
    in_.clear();
    start_response(text_response(p.status, p.reason + "\n"), false, now_unix);
    return true;
  }
  HttpRequest& req = p.request;
  in_.erase(0, req.head_len);
  skip_ = req.content_length;
  keep_alive_ = req.keep_alive;
  ++stats_.requests;
  bool head = req.method == "HEAD";
  if (!head && req.method != "GET") {
    start_response(text_response(405, "only GET and HEAD\n"), false, now_unix);
    return true;
  }
  std::string path = decode_request_path(req.target);
  if (path.empty()) {
    start_response(text_response(400, "bad request target\n"), head, now_unix);
  } else {
    start_response(apply_conditions_and_range(content_.get(path), req, now_unix), head, now_unix);
  }
  return true;
}

void HttpSession::start_response(HttpResponse r, bool head_only, std::int64_t now_unix) {
  head_ = "HTTP/1.1 " + std::to_string(r.status) + " " + http_reason(r.status) +
          "\r\nServer: ustack\r\nDate: " + format_http_date(now_unix) + "\r\n";
  if (r.last_modified) head_ += "Last-Modified: " + format_http_date(*r.last_modified) + "\r\n";
  if (r.byte_ranges) head_ += "Accept-Ranges: bytes\r\n";
  // RFC 9110 §15.4.5: a 304 has no content and describes none (no Content-Type); its
  // Content-Length could only repeat the 200's (§8.6), so it is left out.
  if (r.status != 304) {
    std::uint64_t len = r.body ? r.body->size() : 0;
    head_ += "Content-Type: " + r.content_type + "\r\n";
    if (!r.content_range.empty()) head_ += "Content-Range: " + r.content_range + "\r\n";
    head_ += "Content-Length: " + std::to_string(len) + "\r\n";
  }
  if (!r.location.empty()) head_ += "Location: " + r.location + "\r\n";
  if (r.status == 405) head_ += "Allow: GET, HEAD\r\n";
  head_ += keep_alive_ ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  head_sent_ = 0;
  body_ = head_only ? nullptr : std::move(r.body);
  body_sent_ = 0;
  chunk_begin_ = chunk_end_ = 0;
  phase_ = Phase::kSendingHead;
}

SessionStatus HttpSession::send(Stream& s) {
  if (phase_ == Phase::kSendingHead) {
    head_sent_ += s.write(as_bytes(head_).subspan(head_sent_));
    if (head_sent_ < head_.size()) return SessionStatus::kContinue;
    phase_ = Phase::kSendingBody;
  }
  std::uint64_t total = body_ ? body_->size() : 0;
  while (body_sent_ < total) {
    if (chunk_begin_ == chunk_end_) {
      std::uint64_t offset = body_sent_;
      std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(chunk_.size(), total - offset));
      if (!body_->read(offset, chunk_.bytes().first(n))) return SessionStatus::kAbort;
      chunk_begin_ = 0;
      chunk_end_ = n;
    }
    std::size_t w = s.write(chunk_.bytes().subspan(chunk_begin_, chunk_end_ - chunk_begin_));
    chunk_begin_ += w;
    body_sent_ += w;
    stats_.body_bytes_sent += w;
    if (w == 0) return SessionStatus::kContinue;
  }
  body_.reset();
  if (!keep_alive_) return SessionStatus::kClose;
  phase_ = Phase::kReading;
  return SessionStatus::kContinue;
}

SessionStatus HttpSession::step(Instant now, Stream& s) {
  // Unix seconds, rounded down: HTTP-dates have whole seconds (RFC 9110 §5.6.7).
  const std::int64_t now_ns = (now + unix_offset_).total_nanos();
  const std::int64_t now_unix = now_ns / 1'000'000'000 - (now_ns % 1'000'000'000 < 0);
  for (;;) {
    if (phase_ != Phase::kReading) {
      SessionStatus st = send(s);
      if (st != SessionStatus::kContinue || phase_ != Phase::kReading) return st;
      continue;
    }
    if (take_request(now_unix)) continue;
    if (in_eof_) return SessionStatus::kClose;
    // Read more of the request (or the body being skipped).
    std::size_t old = in_.size();
    constexpr std::size_t room = 16 * 1024;  // the parser bounds the head; this bounds a read
    in_.resize(old + room);
    StreamRead r = s.read(MutBytes(reinterpret_cast<std::uint8_t*>(in_.data()) + old, room));
    in_.resize(old + r.n);
    if (r.eof) in_eof_ = true;
    if (r.n == 0 && !r.eof) return SessionStatus::kContinue;
  }
}

}  // namespace ustack::services
