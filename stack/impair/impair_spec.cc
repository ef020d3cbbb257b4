#include "stack/impair/impair_spec.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace ustack {
namespace {

constexpr std::string_view kFields =
    "delay, jitter, rate, queue, loss, burst, reorder, dup, corrupt, seed";

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    std::size_t i = s.find(sep);
    out.push_back(s.substr(0, i));
    if (i == std::string_view::npos) return out;
    s.remove_prefix(i + 1);
  }
}

// A non-negative decimal number followed by a unit; `unit` gets the rest of the text.
std::optional<double> number_then_unit(std::string_view text, std::string_view& unit) {
  std::size_t n = 0;
  while (n < text.size() && ((text[n] >= '0' && text[n] <= '9') || text[n] == '.')) ++n;
  if (n == 0) return std::nullopt;
  std::string digits(text.substr(0, n));
  char* end = nullptr;
  double v = std::strtod(digits.c_str(), &end);
  if (end != digits.c_str() + digits.size() || !std::isfinite(v)) return std::nullopt;
  unit = text.substr(n);
  return v;
}

// The parser's state: the field being read and the first error met.
struct Reader {
  std::string error;

  bool fail(std::string message) {
    if (error.empty()) error = std::move(message);
    return false;
  }

  // "1%", "0.5%": a probability in [0, 1].
  bool percent(std::string_view name, std::string_view text, double& out) {
    std::string_view unit;
    std::optional<double> v = number_then_unit(text, unit);
    std::string item = std::string(name) + "=" + std::string(text);
    if (!v || unit != "%")
      return fail(item + ": want a percentage (e.g. " + std::string(name) + "=1%)");
    if (*v > 100) return fail(item + " out of range (0..100%)");
    out = *v / 100;
    return true;
  }

  // "0.3" or "30%": a Gilbert–Elliott transition or loss probability.
  bool probability(std::string_view name, std::string_view text, double& out) {
    std::string_view unit;
    std::optional<double> v = number_then_unit(text, unit);
    std::string item = "burst " + std::string(name) + "=" + std::string(text);
    if (!v || (unit != "" && unit != "%")) {
      return fail(item + ": want a probability (0.3 or 30%)");
    }
    double p = unit == "%" ? *v / 100 : *v;
    if (p > 1) return fail(item + " out of range (0..1, or 0..100%)");
    out = p;
    return true;
  }

  // "20ms", "500us", "1.5s", "0".
  bool duration(std::string_view item, std::string_view text, Duration& out) {
    std::string_view unit;
    std::optional<double> v = number_then_unit(text, unit);
    double scale = 0;
    if (unit == "ns") scale = 1;
    if (unit == "us") scale = 1e3;
    if (unit == "ms") scale = 1e6;
    if (unit == "s") scale = 1e9;
    if (v && *v == 0 && unit.empty()) scale = 1;
    if (!v || scale == 0) {
      return fail(std::string(item) + ": want a duration with a unit (ns, us, ms, s; e.g. 20ms)");
    }
    if (*v * scale > 3600e9) return fail(std::string(item) + " out of range (0..1h)");
    out = Duration::nanos(static_cast<std::int64_t>(std::llround(*v * scale)));
    return true;
  }

  // "100mbit", "1.5gbit", "64kbit", "9600bit": bits per second (SI prefixes, as tc).
  bool rate(std::string_view text, std::uint64_t& out) {
    std::string_view unit;
    std::optional<double> v = number_then_unit(text, unit);
    double scale = 0;
    if (unit == "bit") scale = 1;
    if (unit == "kbit") scale = 1e3;
    if (unit == "mbit") scale = 1e6;
    if (unit == "gbit") scale = 1e9;
    std::string item = "rate=" + std::string(text);
    if (!v || scale == 0)
      return fail(item + ": want bits per second (bit, kbit, mbit, gbit; e.g. 100mbit)");
    double bps = *v * scale;
    if (bps < 8 || bps > 1e12) return fail(item + " out of range (8bit..1000gbit)");
    out = static_cast<std::uint64_t>(std::llround(bps));
    return true;
  }

  // "64k", "1m", "9000", "1500b": bytes (k = 1024, as tc).
  bool size(std::string_view text, std::size_t& out) {
    std::string_view unit;
    std::optional<double> v = number_then_unit(text, unit);
    double scale = 0;
    if (unit == "" || unit == "b") scale = 1;
    if (unit == "k" || unit == "kb") scale = 1024;
    if (unit == "m" || unit == "mb") scale = 1024 * 1024;
    std::string item = "queue=" + std::string(text);
    if (!v || scale == 0) return fail(item + ": want bytes (e.g. 64k, 1m, 9000)");
    double bytes = *v * scale;
    if (bytes < 1 || bytes > 1024.0 * 1024 * 1024) return fail(item + " out of range (1..1g)");
    out = static_cast<std::size_t>(bytes);
    return true;
  }

  // "2%" or "2%:10ms".
  bool reorder(std::string_view text, ImpairSpec& s) {
    std::vector<std::string_view> parts = split(text, ':');
    if (parts.size() > 2)
      return fail("reorder=" + std::string(text) + ": want PERCENT[:DELAY] (e.g. 2%:5ms)");
    if (!percent("reorder", parts[0], s.reorder)) return false;
    if (parts.size() == 2 && !duration("reorder=" + std::string(text), parts[1], s.reorder_delay)) {
      return false;
    }
    if (parts.size() == 2 && s.reorder_delay == Duration::zero()) {
      return fail("reorder=" + std::string(text) + ": the hold-back delay must be above 0");
    }
    return true;
  }

  // "gilbert:p=0.01:r=0.3[:h=1][:k=0]".
  bool burst(std::string_view text, GilbertElliott& g) {
    const std::string want = "burst=" + std::string(text) +
                             ": want gilbert:p=P:r=R[:h=H][:k=K] (e.g. gilbert:p=0.01:r=0.3)";
    std::vector<std::string_view> parts = split(text, ':');
    if (parts[0] != "gilbert") return fail(want);
    bool have_p = false, have_r = false;
    for (std::size_t i = 1; i < parts.size(); ++i) {
      std::size_t eq = parts[i].find('=');
      if (eq == std::string_view::npos) return fail(want);
      std::string_view k = parts[i].substr(0, eq), v = parts[i].substr(eq + 1);
      double* target = k == "p"   ? &g.p
                       : k == "r" ? &g.r
                       : k == "h" ? &g.h
                       : k == "k" ? &g.k
                                  : nullptr;
      if (!target) return fail(want);
      if (!probability(k, v, *target)) return false;
      have_p = have_p || k == "p";
      have_r = have_r || k == "r";
    }
    if (!have_p || !have_r) return fail(want);
    if (g.p == 0) return fail("burst=" + std::string(text) + ": p must be above 0");
    if (g.r == 0) {
      return fail("burst=" + std::string(text) +
                  ": r must be above 0 (the bad state would never end)");
    }
    return true;
  }

  bool seed(std::string_view text, std::optional<std::uint64_t>& out) {
    std::uint64_t v = 0;
    bool ok = !text.empty() && text.size() <= 20;
    for (char c : text) {
      if (c < '0' || c > '9' || v > (UINT64_MAX - (c - '0')) / 10) ok = false;
      if (!ok) break;
      v = v * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (!ok) return fail("seed=" + std::string(text) + ": want a number (0..2^64-1)");
    out = v;
    return true;
  }

  bool field(std::string_view name, std::string_view value, ImpairSpec& s) {
    const std::string item = std::string(name) + "=" + std::string(value);
    if (name == "delay") return duration(item, value, s.delay);
    if (name == "jitter") return duration(item, value, s.jitter);
    if (name == "rate") return rate(value, s.rate_bps);
    if (name == "queue") return size(value, s.queue_bytes);
    if (name == "loss") return percent(name, value, s.loss);
    if (name == "burst") return burst(value, s.burst);
    if (name == "reorder") return reorder(value, s);
    if (name == "dup") return percent(name, value, s.duplicate);
    if (name == "corrupt") return percent(name, value, s.corrupt);
    if (name == "seed") return seed(value, s.seed);
    return fail("unknown field '" + std::string(name) + "' (fields: " + std::string(kFields) + ")");
  }
};

std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string format_duration(Duration d) {
  std::int64_t ns = d.total_nanos();
  if (ns == 0) return "0";
  if (ns % 1000000000 == 0) return std::to_string(ns / 1000000000) + "s";
  if (ns % 1000000 == 0) return std::to_string(ns / 1000000) + "ms";
  if (ns % 1000 == 0) return std::to_string(ns / 1000) + "us";
  return std::to_string(ns) + "ns";
}

std::string format_rate(std::uint64_t bps) {
  if (bps % 1000000000 == 0) return std::to_string(bps / 1000000000) + "gbit";
  if (bps % 1000000 == 0) return std::to_string(bps / 1000000) + "mbit";
  if (bps % 1000 == 0) return std::to_string(bps / 1000) + "kbit";
  return std::to_string(bps) + "bit";
}

std::string format_size(std::size_t bytes) {
  if (bytes % (1024 * 1024) == 0) return std::to_string(bytes / (1024 * 1024)) + "m";
  if (bytes % 1024 == 0) return std::to_string(bytes / 1024) + "k";
  return std::to_string(bytes);
}

std::string pct(double p) { return format_number(p * 100) + "%"; }

}  // namespace

bool ImpairSpec::is_none() const {
  return loss == 0 && !burst.enabled() && duplicate == 0 && reorder == 0 && corrupt == 0 &&
         delay == Duration::zero() && jitter == Duration::zero() && rate_bps == 0;
}

std::string ImpairSpec::to_string() const {
  std::vector<std::string> items;
  if (delay != Duration::zero()) items.push_back("delay=" + format_duration(delay));
  if (jitter != Duration::zero()) items.push_back("jitter=" + format_duration(jitter));
  if (rate_bps) items.push_back("rate=" + format_rate(rate_bps));
  if (rate_bps && queue_bytes) items.push_back("queue=" + format_size(queue_bytes));
  if (loss > 0) items.push_back("loss=" + pct(loss));
  if (burst.enabled()) {
    std::string b = "burst=gilbert:p=" + format_number(burst.p) + ":r=" + format_number(burst.r);
    if (burst.h != 1) b += ":h=" + format_number(burst.h);
    if (burst.k != 0) b += ":k=" + format_number(burst.k);
    items.push_back(b);
  }
  if (reorder > 0)
    items.push_back("reorder=" + pct(reorder) + ":" + format_duration(reorder_delay));
  if (duplicate > 0) items.push_back("dup=" + pct(duplicate));
  if (corrupt > 0) items.push_back("corrupt=" + pct(corrupt));
  if (seed) items.push_back("seed=" + std::to_string(*seed));
  if (items.empty()) return "none";
  std::string s;
  for (const std::string& i : items) s += (s.empty() ? "" : ",") + i;
  return s;
}

ImpairSpecParse ImpairSpec::parse(std::string_view text) {
  if (text.empty()) {
    return {std::nullopt, "empty spec (want FIELD=VALUE,..., e.g. delay=20ms,loss=1%)"};
  }
  ImpairSpec s;
  Reader r;
  std::vector<std::string_view> seen;
  for (std::string_view item : split(text, ',')) {
    std::size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return {std::nullopt, "'" + std::string(item) +
                                "': want FIELD=VALUE (fields: " + std::string(kFields) + ")"};
    }
    std::string_view name = item.substr(0, eq);
    for (std::string_view n : seen) {
      if (n == name) return {std::nullopt, std::string(name) + "= given twice"};
    }
    seen.push_back(name);
    if (!r.field(name, item.substr(eq + 1), s)) return {std::nullopt, r.error};
  }
  // A queue only exists in front of a rate limit: without one nothing ever waits in it.
  if (s.queue_bytes && !s.rate_bps) {
    return {std::nullopt, "queue=" + format_size(s.queue_bytes) + " needs a rate= (the queue " +
                              "fills only when packets arrive faster than the rate)"};
  }
  return {s, ""};
}

}  // namespace ustack
