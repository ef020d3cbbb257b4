#include "tools/services/http_request.h"

#include <gtest/gtest.h>

namespace ustack::services {
namespace {

using Kind = HttpParse::Kind;

TEST(HttpRequest, ParsesAGetWithHeaders) {
  HttpParse p = parse_http_request("GET /bytes/10 HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\nNEXT");
  ASSERT_EQ(p.kind, Kind::kRequest);
  EXPECT_EQ(p.request.method, "GET");
  EXPECT_EQ(p.request.target, "/bytes/10");
  EXPECT_EQ(p.request.minor_version, 1);
  EXPECT_TRUE(p.request.keep_alive);
  EXPECT_EQ(p.request.head_len, 48u);
}

TEST(HttpRequest, IncompleteUntilTheEmptyLine) {
  EXPECT_EQ(parse_http_request("GET / HTTP/1.1\r\nHost: x\r\n").kind, Kind::kIncomplete);
  EXPECT_EQ(parse_http_request("").kind, Kind::kIncomplete);
}

// RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive".
TEST(HttpRequest, PersistenceFollowsVersionAndConnectionHeader) {
  EXPECT_FALSE(
      parse_http_request("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").request.keep_alive);
  EXPECT_FALSE(parse_http_request("GET / HTTP/1.0\r\n\r\n").request.keep_alive);
  EXPECT_TRUE(
      parse_http_request("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").request.keep_alive);
  EXPECT_FALSE(
      parse_http_request("GET / HTTP/1.1\r\nconnection: TE, close\r\n\r\n").request.keep_alive);
}

// RFC 9112 §2.2: empty lines before the request line are ignored.
TEST(HttpRequest, LeadingEmptyLinesAreSkipped) {
  HttpParse p = parse_http_request("\r\n\r\nGET / HTTP/1.1\r\n\r\n");
  ASSERT_EQ(p.kind, Kind::kRequest);
  EXPECT_EQ(p.request.head_len, 22u);
}

TEST(HttpRequest, ContentLengthIsRead) {
  HttpParse p = parse_http_request("POST /x HTTP/1.1\r\nContent-Length: 12\r\n\r\n");
  ASSERT_EQ(p.kind, Kind::kRequest);
  EXPECT_EQ(p.request.content_length, 12u);
}

// RFC 9112 §6.3: an invalid or conflicting Content-Length is an unrecoverable error.
TEST(HttpRequest, BadContentLengthIs400) {
  EXPECT_EQ(parse_http_request("GET / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n").status, 400);
  EXPECT_EQ(parse_http_request("GET / HTTP/1.1\r\nContent-Length: -1\r\n\r\n").status, 400);
  EXPECT_EQ(
      parse_http_request("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n").status,
      400);
}

TEST(HttpRequest, MalformedRequestLinesAre400) {
  for (const char* bad :
       {"GET /\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1 x\r\n\r\n",
        "G(T / HTTP/1.1\r\n\r\n", "GET / HTTX/1.1\r\n\r\n", "GET / HTTP/1.1\r\nNoColon\r\n\r\n",
        "GET / HTTP/1.1\r\nA : b\r\n\r\n", "GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n"}) {
    HttpParse p = parse_http_request(bad);
    EXPECT_EQ(p.kind, Kind::kError) << bad;
    EXPECT_EQ(p.status, 400) << bad;
  }
}

TEST(HttpRequest, OtherMajorVersionsAre505) {
  EXPECT_EQ(parse_http_request("GET / HTTP/2.0\r\n\r\n").status, 505);
}

TEST(HttpRequest, ChunkedRequestBodiesAre501) {
  EXPECT_EQ(parse_http_request("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").status,
            501);
}

TEST(HttpRequest, OversizedHeadsAreRefusedBeforeTheyEnd) {
  std::string line = "GET /" + std::string(kMaxHttpRequestLine + 10, 'a');
  EXPECT_EQ(parse_http_request(line).status, 414);
  std::string head = "GET / HTTP/1.1\r\n";
  while (head.size() <= kMaxHttpHead) head += "X-Filler: " + std::string(100, 'b') + "\r\n";
  EXPECT_EQ(parse_http_request(head).status, 431);
}

TEST(HttpRequest, PathIsDecodedAndLosesItsQuery) {
  EXPECT_EQ(decode_request_path("/a%20b/c?d=e#f"), "/a b/c");
  EXPECT_EQ(decode_request_path("/%2e%2E/x"), "/../x");  // callers reject ".." after decoding
  EXPECT_EQ(decode_request_path("/bad%zz"), "");
  EXPECT_EQ(decode_request_path("/cut%2"), "");
  EXPECT_EQ(decode_request_path("/nul%00"), "");
}

// RFC 9112 §3.2.2: a server MUST accept absolute-form; we serve its path (the host is ours).
TEST(HttpRequest, AbsoluteFormTargetsAreServedAsTheirPath) {
  EXPECT_EQ(decode_request_path("http://198.18.0.2:8081/sub/a%20b?q=1"), "/sub/a b");
  EXPECT_EQ(decode_request_path("HTTP://example.invalid/x"), "/x");  // scheme: any case
  EXPECT_EQ(decode_request_path("https://[fd00:1::2]:443/y#frag"), "/y");
  EXPECT_EQ(decode_request_path("http://host"), "/");  // RFC 9112 §3.3: empty path is "/"
  EXPECT_EQ(decode_request_path("http://host?x=1"), "/");
  EXPECT_EQ(decode_request_path("http:///nohost"), "");
  EXPECT_EQ(decode_request_path("ftp://host/x"), "");
  EXPECT_EQ(decode_request_path("host:80"), "");  // authority-form (CONNECT) is not served
  EXPECT_EQ(decode_request_path("*"), "");
}

// The fields range and conditional requests act on (RFC 9110 §13.1, §14.2), as sent.
TEST(HttpRequest, RangeAndConditionalFieldsAreKept) {
  HttpParse p = parse_http_request(
      "GET /f HTTP/1.1\r\nrange: bytes=1-2\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 "
      "GMT\r\nIf-Range:  Sun, 06 Nov 1994 08:49:37 GMT \r\nIf-None-Match: \"a\"\r\n"
      "If-None-Match: \"b\"\r\n\r\n");
  ASSERT_EQ(p.kind, Kind::kRequest);
  EXPECT_EQ(p.request.range, "bytes=1-2");
  EXPECT_EQ(p.request.if_modified_since, "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(p.request.if_range, "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(p.request.if_none_match, "\"a\", \"b\"");  // one list (RFC 9110 §5.3)
  HttpParse none = parse_http_request("GET /f HTTP/1.1\r\n\r\n");
  EXPECT_FALSE(none.request.range || none.request.if_modified_since || none.request.if_none_match ||
               none.request.if_range);
}

}  // namespace
}  // namespace ustack::services
