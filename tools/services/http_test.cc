#include "tools/services/http.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

#include "tools/services/fake_stream.h"
#include "tools/services/generated_body.h"

namespace ustack::services {
namespace {

struct Reply {
  int status = 0;
  std::string head;
  std::string body;
};

// Splits the first response off `out` (Content-Length framing).
Reply take_reply(std::string& out, bool head_only = false) {
  Reply r;
  std::size_t end = out.find("\r\n\r\n");
  if (end == std::string::npos) return r;
  r.head = out.substr(0, end + 4);
  r.status = std::atoi(r.head.c_str() + 9);
  std::size_t cl = r.head.find("Content-Length: ");
  std::size_t len = cl == std::string::npos || head_only ? 0 : std::stoul(r.head.substr(cl + 16));
  r.body = out.substr(end + 4, len);
  out.erase(0, end + 4 + r.body.size());
  return r;
}

std::string generated(std::size_t n) {
  std::string s(n, '\0');
  fill_generated_body(0, MutBytes(reinterpret_cast<std::uint8_t*>(s.data()), n));
  return s;
}

// What a session on `content` answers to `request`, stepped once at `now` with its clock's
// Unix time being `now + unix_offset`.
std::string exchange(HttpContent& content, const std::string& request,
                     Duration unix_offset = Duration::zero(), Instant now = Instant::zero()) {
  HttpSession h(content, unix_offset);
  FakeStream s;
  s.feed(request);
  (void)h.step(now, s);
  return s.take_output();
}

TEST(Http, GeneratedBodyOfTheRequestedSize) {
  GeneratedContent content;
  HttpSession h(content, Duration::zero());
  FakeStream s;
  s.feed("GET /bytes/100000 HTTP/1.1\r\nHost: t\r\n\r\n");
  EXPECT_EQ(h.step(Instant::zero(), s), SessionStatus::kContinue);
  std::string out = s.take_output();
  Reply r = take_reply(out);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.head.find("Content-Length: 100000\r\n"), std::string::npos);
  EXPECT_NE(r.head.find("Connection: keep-alive\r\n"), std::string::npos);
  EXPECT_EQ(r.body, generated(100000));
  EXPECT_EQ(out, "");
}

TEST(Http, BodyIsSentAsTheSendBufferDrains) {
  GeneratedContent content;
  HttpSession h(content, Duration::zero(), 1000);
  FakeStream s;
  s.feed("GET /bytes/5000 HTTP/1.1\r\n\r\n");
  std::string out;
  for (int i = 0; i < 100 && out.size() < 5000; ++i) {
    s.set_write_room(333);
    EXPECT_EQ(h.step(Instant::zero(), s), SessionStatus::kContinue);
    out += s.take_output();
  }
  Reply r = take_reply(out);
  EXPECT_EQ(r.body, generated(5000));
}

// RFC 9112 §9.3: a persistent connection serves requests one after another, pipelined too.
TEST(Http, KeepAliveServesPipelinedRequestsInOrder) {
  GeneratedContent content;
  HttpSession h(content, Duration::zero());
  FakeStream s;
  s.feed("GET /bytes/3 HTTP/1.1\r\n\r\nHEAD /bytes/7 HTTP/1.1\r\n\r\nGET /nope HTTP/1.1\r\n\r\n");
  EXPECT_EQ(h.step(Instant::zero(), s), SessionStatus::kContinue);
  std::string out = s.take_output();
  Reply a = take_reply(out);
  EXPECT_EQ(a.status, 200);
  EXPECT_EQ(a.body, "000");
  // HEAD: the length of the body GET would send, and no body.
  Reply b = take_reply(out, /*head_only=*/true);
  EXPECT_NE(b.head.find("Content-Length: 7\r\n"), std::string::npos);
  EXPECT_EQ(out.substr(0, 12), "HTTP/1.1 404");
  Reply c = take_reply(out);
  EXPECT_EQ(c.status, 404);
  EXPECT_EQ(h.stats().requests, 3u);
}

TEST(Http, ConnectionCloseClosesAfterTheResponse) {
  GeneratedContent content;
  HttpSession h(content, Duration::zero());
  FakeStream s;
  s.feed("GET /bytes/10 HTTP/1.0\r\n\r\n");
  EXPECT_EQ(h.step(Instant::zero(), s), SessionStatus::kClose);
  std::string out = s.take_output();
  Reply r = take_reply(out);
  EXPECT_NE(r.head.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(r.body.size(), 10u);
}

TEST(Http, ClientEofBetweenRequestsCloses) {
  GeneratedContent content;
  HttpSession h(content, Duration::zero());
  FakeStream s;
  s.feed("GET /bytes/1 HTTP/1.1\r\n\r\n");
  s.feed_eof();
  EXPECT_EQ(h.step(Instant::zero(), s), SessionStatus::kClose);
  std::string out = s.take_output();
  EXPECT_EQ(take_reply(out).body, "0");
}

TEST(Http, MalformedRequestGets400AndClose) {
  GeneratedContent content;
  HttpSession h(content, Duration::zero());
  FakeStream s;
  s.feed("GARBAGE\r\n\r\nGET / HTTP/1.1\r\n\r\n");
  EXPECT_EQ(h.step(Instant::zero(), s), SessionStatus::kClose);
  std::string out = s.take_output();
  Reply r = take_reply(out);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.head.find("Connection: close\r\n"), std::string::npos);
  EXPECT_EQ(out, "");  // nothing after the error
}

TEST(Http, OtherMethodsGet405AndTheirBodyIsSkipped) {
  GeneratedContent content;
  HttpSession h(content, Duration::zero());
  FakeStream s;
  s.feed("POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET /bytes/2 HTTP/1.1\r\n\r\n");
  EXPECT_EQ(h.step(Instant::zero(), s), SessionStatus::kContinue);
  std::string out = s.take_output();
  Reply r = take_reply(out);
  EXPECT_EQ(r.status, 405);
  EXPECT_NE(r.head.find("Allow: GET, HEAD\r\n"), std::string::npos);
  EXPECT_EQ(take_reply(out).body, "00");
}

// Generated bodies can be fetched in ranges too (curl -C - on /bytes/N); they have no mtime.
TEST(Http, GeneratedBodiesServeRanges) {
  GeneratedContent content;
  std::string out = exchange(content, "GET /bytes/100000 HTTP/1.1\r\nRange: bytes=65536-\r\n\r\n");
  Reply r = take_reply(out);
  EXPECT_EQ(r.status, 206);
  EXPECT_NE(r.head.find("Content-Range: bytes 65536-99999/100000\r\n"), std::string::npos);
  EXPECT_EQ(r.head.find("Last-Modified"), std::string::npos);
  EXPECT_EQ(r.body, generated(100000).substr(65536));
}

TEST(Http, GeneratedSizesAreChecked) {
  GeneratedContent c;
  EXPECT_EQ(c.get("/bytes/").status, 400);
  EXPECT_EQ(c.get("/bytes/12k").status, 400);
  EXPECT_EQ(c.get("/bytes/99999999999999999999999").status, 400);
  EXPECT_EQ(c.get("/bytes/0").status, 200);
  EXPECT_EQ(c.get("/other").status, 404);
  EXPECT_EQ(c.get("/").status, 200);
}

class HttpDirectory : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tmp = std::getenv("TEST_TMPDIR");
    root_ = std::string(tmp ? tmp : "/tmp") + "/httpdir";
    ::mkdir(root_.c_str(), 0755);
    ::mkdir((root_ + "/sub").c_str(), 0755);
    std::ofstream(root_ + "/hello.txt") << "hello, file\n";
    std::ofstream(root_ + "/sub/a b.bin") << "xyz";
    std::ofstream(root_ + "/digits.bin") << generated(1000);
    set_mtime("/digits.bin", kModified);
  }
  void set_mtime(const std::string& name, std::int64_t unix_seconds) {
    timespec times[2] = {{unix_seconds, 0}, {unix_seconds, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, (root_ + name).c_str(), times, 0), 0);
  }
  // The session's clock reads kNow at Instant::zero() (and `later` after it).
  std::string get(const std::string& request, Duration later = Duration::zero()) {
    DirectoryContent content(root_);
    return exchange(content, request, Duration::seconds(kNow), Instant::zero() + later);
  }
  // digits.bin's mtime, "Sat, 05 Nov 1994 01:46:40 GMT", and the session's time, "Sun, 06 Nov
  // 1994 08:49:37 GMT" (RFC 9110 §5.6.7's example).
  static constexpr std::int64_t kModified = 784000000;
  static constexpr std::int64_t kNow = 784111777;
  std::string root_;
};

TEST_F(HttpDirectory, ServesAFileWithItsType) {
  std::string out = get("GET /hello.txt HTTP/1.1\r\n\r\n");
  Reply r = take_reply(out);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.head.find("Content-Type: text/plain\r\n"), std::string::npos);
  EXPECT_EQ(r.body, "hello, file\n");
}

TEST_F(HttpDirectory, PercentEncodedNamesAreFound) {
  std::string out = get("GET /sub/a%20b.bin HTTP/1.1\r\n\r\n");
  EXPECT_EQ(take_reply(out).body, "xyz");
}

TEST_F(HttpDirectory, DirectoriesGetAListingAndASlashRedirect) {
  std::string out = get("GET / HTTP/1.1\r\n\r\n");
  Reply r = take_reply(out);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("<a href=\"hello.txt\">hello.txt</a>"), std::string::npos);
  EXPECT_NE(r.body.find("<a href=\"sub/\">sub/</a>"), std::string::npos);
  out = get("GET /sub HTTP/1.1\r\n\r\n");
  r = take_reply(out);
  EXPECT_EQ(r.status, 301);
  EXPECT_NE(r.head.find("Location: sub/\r\n"), std::string::npos);
}

TEST_F(HttpDirectory, MissingFilesAre404AndEscapesAre400) {
  std::string out = get("GET /nope HTTP/1.1\r\n\r\n");
  EXPECT_EQ(take_reply(out).status, 404);
  out = get("GET /sub/../../etc/passwd HTTP/1.1\r\n\r\n");
  EXPECT_EQ(take_reply(out).status, 400);
  out = get("GET /%2e%2e/x HTTP/1.1\r\n\r\n");
  EXPECT_EQ(take_reply(out).status, 400);
}

// A symlink that leads out of the served directory is refused (issue 16: /passwd_link served
// /etc/passwd); one that stays inside is followed.
TEST_F(HttpDirectory, SymlinksOutOfTheDirectoryAre403) {
  for (auto [target, link] : {std::pair{"/etc/passwd", "/passwd_link"},
                              {"/etc", "/etc_link"},
                              {"../..", "/sub/up"},
                              {"hello.txt", "/inside_link"}}) {
    ::unlink((root_ + link).c_str());
    ASSERT_EQ(::symlink(target, (root_ + link).c_str()), 0) << link;
  }
  for (const char* path :
       {"/passwd_link", "/etc_link/passwd", "/etc_link/", "/sub/up/etc/passwd"}) {
    std::string out = get("GET " + std::string(path) + " HTTP/1.1\r\n\r\n");
    Reply r = take_reply(out);
    EXPECT_EQ(r.status, 403) << path;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << path;
  }
  std::string out = get("GET /inside_link HTTP/1.1\r\n\r\n");
  Reply r = take_reply(out);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "hello, file\n");
}

// RFC 9110 §6.6.1 (Date on every response), §8.8.2 (Last-Modified), §14.3 (Accept-Ranges).
TEST_F(HttpDirectory, FileResponseHeadByteForByte) {
  EXPECT_EQ(get("GET /digits.bin HTTP/1.1\r\n\r\n"),
            "HTTP/1.1 200 OK\r\n"
            "Server: ustack\r\n"
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Last-Modified: Sat, 05 Nov 1994 01:46:40 GMT\r\n"
            "Accept-Ranges: bytes\r\n"
            "Content-Type: application/octet-stream\r\n"
            "Content-Length: 1000\r\n"
            "Connection: keep-alive\r\n\r\n" +
                generated(1000));
}

// The Date is the time the session is stepped at, errors included.
TEST_F(HttpDirectory, DateFollowsTheSessionsClock) {
  std::string out = get("GET /nope HTTP/1.1\r\n\r\n", Duration::seconds(2));
  EXPECT_NE(out.find("\r\nDate: Sun, 06 Nov 1994 08:49:39 GMT\r\n"), std::string::npos) << out;
}

// RFC 9110 §8.8.2.1: a modification time after the response's Date is sent as the Date.
TEST_F(HttpDirectory, FutureModificationTimeIsSentAsNow) {
  set_mtime("/digits.bin", kNow + 3600);
  std::string out = get("HEAD /digits.bin HTTP/1.1\r\n\r\n");
  EXPECT_NE(out.find("\r\nLast-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n"), std::string::npos)
      << out;
}

// RFC 9110 §14.2, §15.3.7: one range gets 206 with Content-Range and exactly those bytes.
TEST_F(HttpDirectory, RangeGets206ByteForByte) {
  EXPECT_EQ(get("GET /digits.bin HTTP/1.1\r\nRange: bytes=100-199\r\n\r\n"),
            "HTTP/1.1 206 Partial Content\r\n"
            "Server: ustack\r\n"
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Last-Modified: Sat, 05 Nov 1994 01:46:40 GMT\r\n"
            "Accept-Ranges: bytes\r\n"
            "Content-Type: application/octet-stream\r\n"
            "Content-Range: bytes 100-199/1000\r\n"
            "Content-Length: 100\r\n"
            "Connection: keep-alive\r\n\r\n" +
                generated(1000).substr(100, 100));
}

TEST_F(HttpDirectory, OpenAndSuffixRanges) {
  std::string out = get("GET /digits.bin HTTP/1.1\r\nRange: bytes=990-\r\n\r\n");
  Reply r = take_reply(out);
  EXPECT_EQ(r.status, 206);
  EXPECT_NE(r.head.find("Content-Range: bytes 990-999/1000\r\n"), std::string::npos);
  EXPECT_EQ(r.body, generated(1000).substr(990));
  out = get("GET /digits.bin HTTP/1.1\r\nRange: bytes=-7\r\n\r\n");
  r = take_reply(out);
  EXPECT_NE(r.head.find("Content-Range: bytes 993-999/1000\r\n"), std::string::npos);
  EXPECT_EQ(r.body, generated(1000).substr(993));
}

// RFC 9110 §15.5.17: 416 names the current length in "Content-Range: bytes */length".
TEST_F(HttpDirectory, UnsatisfiableRangeGets416ByteForByte) {
  EXPECT_EQ(get("GET /digits.bin HTTP/1.1\r\nRange: bytes=1000-\r\n\r\n"),
            "HTTP/1.1 416 Range Not Satisfiable\r\n"
            "Server: ustack\r\n"
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Last-Modified: Sat, 05 Nov 1994 01:46:40 GMT\r\n"
            "Content-Type: text/plain\r\n"
            "Content-Range: bytes */1000\r\n"
            "Content-Length: 22\r\n"
            "Connection: keep-alive\r\n\r\n"
            "range not satisfiable\n");
}

// RFC 9110 §14.2: a server MAY ignore Range; several ranges get the whole file with 200.
TEST_F(HttpDirectory, SeveralRangesGetTheWholeFile) {
  std::string out = get("GET /digits.bin HTTP/1.1\r\nRange: bytes=0-9,20-29\r\n\r\n");
  Reply r = take_reply(out);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.head.find("Content-Range"), std::string::npos);
  EXPECT_EQ(r.body, generated(1000));
}

// RFC 9110 §9.3.2: HEAD gets the head GET would get — 206 and 416 too — and no body.
TEST_F(HttpDirectory, HeadWithRangeGetsThePartialHead) {
  std::string out =
      get("HEAD /digits.bin HTTP/1.1\r\nRange: bytes=100-199\r\n\r\n"
          "HEAD /digits.bin HTTP/1.1\r\nRange: bytes=5000-\r\n\r\n"
          "GET /hello.txt HTTP/1.1\r\n\r\n");
  Reply a = take_reply(out, /*head_only=*/true);
  EXPECT_EQ(a.status, 206);
  EXPECT_NE(a.head.find("Content-Range: bytes 100-199/1000\r\nContent-Length: 100\r\n"),
            std::string::npos);
  Reply b = take_reply(out, /*head_only=*/true);
  EXPECT_EQ(b.status, 416);
  EXPECT_NE(b.head.find("Content-Range: bytes */1000\r\n"), std::string::npos);
  EXPECT_EQ(take_reply(out).body, "hello, file\n");  // the next request's reply follows at once
}

// RFC 9110 §13.1.3, §15.4.5: not modified since the date (to the second) → 304, no body, no
// Content-Length; the connection goes on with the next request.
TEST_F(HttpDirectory, NotModifiedSinceGets304ByteForByte) {
  EXPECT_EQ(get("GET /digits.bin HTTP/1.1\r\n"
                "If-Modified-Since: Sat, 05 Nov 1994 01:46:40 GMT\r\n\r\n"
                "GET /hello.txt HTTP/1.1\r\n\r\n")
                .substr(0, 169),
            "HTTP/1.1 304 Not Modified\r\n"
            "Server: ustack\r\n"
            "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
            "Last-Modified: Sat, 05 Nov 1994 01:46:40 GMT\r\n"
            "Connection: keep-alive\r\n\r\n"
            "HTTP/1.1 200 OK\r\n");
}

TEST_F(HttpDirectory, IfModifiedSinceComparesToTheSecond) {
  auto status = [&](const std::string& ims) {
    std::string out = get("GET /digits.bin HTTP/1.1\r\nIf-Modified-Since: " + ims + "\r\n\r\n");
    return take_reply(out).status;
  };
  EXPECT_EQ(status("Sat, 05 Nov 1994 01:46:41 GMT"), 304);  // later than the mtime
  EXPECT_EQ(status("Saturday, 05-Nov-94 01:46:40 GMT"), 304);
  EXPECT_EQ(status("Sat, 05 Nov 1994 01:46:39 GMT"), 200);  // one second older: modified
  EXPECT_EQ(status("not a date"), 200);                     // §13.1.3: invalid → ignored
}

// RFC 9110 §13.1.2/§13.2.2: If-None-Match is evaluated first and makes If-Modified-Since
// ignored; "*" matches any existing file, an entity tag never matches (we send none).
TEST_F(HttpDirectory, IfNoneMatchComesFirst) {
  const std::string ims = "If-Modified-Since: Sat, 05 Nov 1994 01:46:40 GMT\r\n";
  std::string out = get("GET /digits.bin HTTP/1.1\r\nIf-None-Match: *\r\n\r\n");
  EXPECT_EQ(take_reply(out).status, 304);
  out = get("GET /digits.bin HTTP/1.1\r\nIf-None-Match: \"x\"\r\n" + ims + "\r\n");
  EXPECT_EQ(take_reply(out).status, 200);
  out = get("GET /missing HTTP/1.1\r\nIf-None-Match: *\r\n\r\n");
  EXPECT_EQ(take_reply(out).status, 404);  // §13.2.1: only 2xx responses have preconditions
}

// RFC 9110 §13.1.5: If-Range with the exact Last-Modified keeps the Range; another date or an
// entity tag gets the whole file.
TEST_F(HttpDirectory, IfRangeGuardsTheRange) {
  const std::string range = "Range: bytes=0-9\r\n";
  std::string out = get("GET /digits.bin HTTP/1.1\r\n" + range +
                        "If-Range: Sat, 05 Nov 1994 01:46:40 GMT\r\n\r\n");
  EXPECT_EQ(take_reply(out).status, 206);
  out = get("GET /digits.bin HTTP/1.1\r\n" + range +
            "If-Range: Sat, 05 Nov 1994 01:46:41 GMT\r\n\r\n");
  EXPECT_EQ(take_reply(out).body, generated(1000));
  out = get("GET /digits.bin HTTP/1.1\r\n" + range + "If-Range: \"etag\"\r\n\r\n");
  EXPECT_EQ(take_reply(out).status, 200);
}

// RFC 9112 §3.2.2: absolute-form is served as its path, whatever the host.
TEST_F(HttpDirectory, AbsoluteFormIsServedAsItsPath) {
  std::string out = get("GET http://example.invalid:8081/sub/a%20b.bin HTTP/1.1\r\n\r\n");
  Reply r = take_reply(out);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "xyz");
}

}  // namespace
}  // namespace ustack::services
