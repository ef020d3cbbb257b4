#include "tools/services/http_conditional.h"

#include <algorithm>
#include <string_view>

#include "tools/services/http_date.h"
#include "tools/services/http_range.h"

namespace ustack::services {
namespace {

// Bytes [first, first + length) of another body.
class RangeBody final : public HttpBody {
 public:
  RangeBody(std::unique_ptr<HttpBody> whole, std::uint64_t first, std::uint64_t length)
      : whole_(std::move(whole)), first_(first), length_(length) {}
  std::uint64_t size() const override { return length_; }
  bool read(std::uint64_t offset, MutBytes out) override {
    return whole_->read(first_ + offset, out);
  }

 private:
  std::unique_ptr<HttpBody> whole_;
  std::uint64_t first_;
  std::uint64_t length_;
};

HttpResponse not_modified(const HttpResponse& full) {
  HttpResponse r;
  r.status = 304;
  r.last_modified = full.last_modified;
  return r;
}

// RFC 9110 §13.1.2: If-None-Match is false only when a listed tag matches the current one. We
// send no ETag, so only "*" (any current representation) can match.
bool none_match_fails(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return value == "*";
}

// RFC 9110 §13.1.3: false (not modified) when the representation is not newer than the date,
// to the second. An invalid date makes the field ignored.
bool modified_since(const HttpResponse& full, std::string_view value, std::int64_t now_unix) {
  std::optional<std::int64_t> since = parse_http_date(value, now_unix);
  if (!since || !full.last_modified) return true;
  return *full.last_modified > *since;
}

// RFC 9110 §13.1.5: the Range applies only if the If-Range validator matches the current
// representation. An entity tag never does (we send none); a date must equal Last-Modified
// exactly.
bool if_range_matches(const HttpResponse& full, std::string_view value, std::int64_t now_unix) {
  std::optional<std::int64_t> date = parse_http_date(value, now_unix);
  return date && full.last_modified && *date == *full.last_modified;
}

HttpResponse apply_range(HttpResponse full, std::string_view range) {
  const std::uint64_t size = full.body ? full.body->size() : 0;
  ByteRangeDecision d = decide_byte_range(range, size);
  switch (d.kind) {
    case ByteRangeDecision::Kind::kWhole:
      return full;
    case ByteRangeDecision::Kind::kUnsatisfiable: {
      // RFC 9110 §15.5.17: a 416 to a byte-range request says the current length.
      HttpResponse r = text_response(416, "range not satisfiable\n");
      r.content_range = "bytes */" + std::to_string(size);
      r.last_modified = full.last_modified;
      return r;
    }
    case ByteRangeDecision::Kind::kPartial:
      break;
  }
  // RFC 9110 §15.3.7: 206 with Content-Range "bytes first-last/complete-length".
  full.status = 206;
  full.content_range = "bytes " + std::to_string(d.first) + "-" + std::to_string(d.last) + "/" +
                       std::to_string(size);
  full.body = std::make_unique<RangeBody>(std::move(full.body), d.first, d.last - d.first + 1);
  return full;
}

}  // namespace

HttpResponse apply_conditions_and_range(HttpResponse full, const HttpRequest& req,
                                        std::int64_t now_unix) {
  // RFC 9110 §8.8.2.1: a modification time in the future (by our clock) is sent as now.
  if (full.last_modified && *full.last_modified > now_unix) full.last_modified = now_unix;
  // RFC 9110 §13.2.1: preconditions are ignored when the response would not be 2xx anyway.
  if (full.status != 200) return full;

  // RFC 9110 §13.2.2, in its order (steps 1 and 2, If-Match and If-Unmodified-Since, are not
  // evaluated). Step 3: If-None-Match false → 304 for GET and HEAD (the only methods we serve).
  if (req.if_none_match) {
    if (none_match_fails(*req.if_none_match)) return not_modified(full);
  } else if (req.if_modified_since && !modified_since(full, *req.if_modified_since, now_unix)) {
    // Step 4: If-Modified-Since, only when there is no If-None-Match (§13.1.3).
    return not_modified(full);
  }
  // Step 5: Range, guarded by If-Range (a server MUST ignore If-Range without Range).
  // RFC 9110 §14.2 defines range handling for GET only; HEAD gets it too, so that its head is
  // the one GET would send (§9.3.2): `curl -I -r` shows what `curl -r` will get.
  if (!req.range || !full.byte_ranges) return full;
  if (req.if_range && !if_range_matches(full, *req.if_range, now_unix)) return full;
  return apply_range(std::move(full), *req.range);
}

}  // namespace ustack::services
