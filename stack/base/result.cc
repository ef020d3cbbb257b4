#include "stack/base/result.h"

namespace ustack {

const char* to_string(ParseError e) {
  switch (e) {
    case ParseError::kTruncated:
      return "truncated";
    case ParseError::kBadLength:
      return "bad_length";
    case ParseError::kBadChecksum:
      return "bad_checksum";
    case ParseError::kBadVersion:
      return "bad_version";
    case ParseError::kBadHeaderLength:
      return "bad_header_length";
    case ParseError::kBadOption:
      return "bad_option";
    case ParseError::kBadType:
      return "bad_type";
    case ParseError::kBadAddress:
      return "bad_address";
    case ParseError::kBadValue:
      return "bad_value";
    case ParseError::kUnknownHeader:
      return "unknown_header";
    case ParseError::kTooManyHeaders:
      return "too_many_headers";
    case ParseError::kLabelTooLong:
      return "label_too_long";
    case ParseError::kNameTooLong:
      return "name_too_long";
    case ParseError::kPointerLoop:
      return "pointer_loop";
    case ParseError::kTooManyRecords:
      return "too_many_records";
    case ParseError::kUnsupported:
      return "unsupported";
  }
  return "unknown";
}

}  // namespace ustack
