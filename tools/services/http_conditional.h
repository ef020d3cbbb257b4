// Conditional and range requests (RFC 9110 §13, §14) applied to the response a GET or HEAD
// would get: 304 Not Modified for a file the client already has, 206 Partial Content for the
// byte range it asked for, 416 for a range past the end.
//
// Only what a server without entity tags can evaluate: If-None-Match ("*", or tags that never
// match ours since we send none), If-Modified-Since, Range and If-Range. If-Match and
// If-Unmodified-Since (for writes) are not evaluated.
#pragma once

#include <cstdint>

#include "tools/services/http.h"
#include "tools/services/http_request.h"

namespace ustack::services {

// `full` is the response to the request without its conditions and Range; `now_unix` is the
// time the response is made (Unix seconds), which bounds Last-Modified (RFC 9110 §8.8.2.1).
HttpResponse apply_conditions_and_range(HttpResponse full, const HttpRequest& req,
                                        std::int64_t now_unix);

}  // namespace ustack::services
