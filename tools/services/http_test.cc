#include "tools/services/http.h"

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

TEST(Http, GeneratedBodyOfTheRequestedSize) {
  GeneratedContent content;
  HttpSession h(content);
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
  HttpSession h(content, 1000);
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
  HttpSession h(content);
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
  HttpSession h(content);
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
  HttpSession h(content);
  FakeStream s;
  s.feed("GET /bytes/1 HTTP/1.1\r\n\r\n");
  s.feed_eof();
  EXPECT_EQ(h.step(Instant::zero(), s), SessionStatus::kClose);
  std::string out = s.take_output();
  EXPECT_EQ(take_reply(out).body, "0");
}

TEST(Http, MalformedRequestGets400AndClose) {
  GeneratedContent content;
  HttpSession h(content);
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
  HttpSession h(content);
  FakeStream s;
  s.feed("POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\nhelloGET /bytes/2 HTTP/1.1\r\n\r\n");
  EXPECT_EQ(h.step(Instant::zero(), s), SessionStatus::kContinue);
  std::string out = s.take_output();
  Reply r = take_reply(out);
  EXPECT_EQ(r.status, 405);
  EXPECT_NE(r.head.find("Allow: GET, HEAD\r\n"), std::string::npos);
  EXPECT_EQ(take_reply(out).body, "00");
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
  }
  std::string get(const std::string& request) {
    DirectoryContent content(root_);
    HttpSession h(content);
    FakeStream s;
    s.feed(request);
    (void)h.step(Instant::zero(), s);
    return s.take_output();
  }
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

}  // namespace
}  // namespace ustack::services
