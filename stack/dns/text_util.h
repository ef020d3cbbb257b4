// Text helpers shared by stack/dns: line-and-word reading for the resolv.conf, hosts and
// zone-file parsers, and case-insensitive name keys (RFC 4343).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "stack/wire/dns.h"

namespace ustack::dns_text {

// Blank-separated words of `line` (spaces, tabs, a stray '\r').
inline std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && blank(line[i])) ++i;
    std::size_t start = i;
    while (i < line.size() && !blank(line[i])) ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

// Calls f(line_no, words) for every line of `text` that has words once everything from the
// first of `comment_chars` on is removed. Line numbers start at 1.
template <typename F>
void for_each_line(std::string_view text, std::string_view comment_chars, F&& f) {
  std::size_t line_no = 0;
  while (!text.empty()) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    ++line_no;
    if (std::size_t c = line.find_first_of(comment_chars); c != std::string_view::npos) {
      line = line.substr(0, c);
    }
    auto words = split_words(line);
    if (!words.empty()) f(line_no, words);
  }
}

// ASCII letters lowercased; every other octet kept.
inline std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// The text form, lowercased: equal keys <=> DnsName::equals_ignore_case.
inline std::string name_key(const DnsName& n) { return ascii_lower(n.to_string()); }

// True if `name` is `origin` or below it (RFC 4343 case rules).
inline bool is_at_or_below(const DnsName& name, const DnsName& origin) {
  const auto& n = name.labels();
  const auto& o = origin.labels();
  if (o.size() > n.size()) return false;
  for (std::size_t i = 0; i < o.size(); ++i) {
    if (ascii_lower(n[n.size() - o.size() + i]) != ascii_lower(o[i])) return false;
  }
  return true;
}

}  // namespace ustack::dns_text
