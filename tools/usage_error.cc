#include "tools/usage_error.h"

#include <cstdio>
#include <regex>
#include <utility>

namespace ustack::tools {
namespace {

std::string& current_command_path() {
  static std::string path = "ustack";
  return path;
}

// `what` matched against `re`; the captures, or empty if it does not match.
std::smatch match(const std::string& what, const char* re) {
  std::smatch m;
  std::regex_match(what, m, std::regex(re));
  return m;
}

}  // namespace

std::string usage_error_text(const CLI::ParseError& e) {
  const std::string what = e.what();
  if (dynamic_cast<const CLI::ConversionError*>(&e) != nullptr) {
    if (auto m = match(what, R"(Could not convert: (\S+) = (.*))"); !m.empty()) {
      return m.str(1) + ": '" + m.str(2) + "' is not a valid value";
    }
  }
  if (dynamic_cast<const CLI::RequiredError*>(&e) != nullptr) {
    if (what == "A subcommand is required") return "missing subcommand";
    if (auto m = match(what, R"((\S+) is required)"); !m.empty()) {
      return "missing argument: " + m.str(1);
    }
  }
  if (dynamic_cast<const CLI::ExtrasError*>(&e) != nullptr) {
    if (auto m = match(what, R"(The following arguments? (?:was|were) not expected: (.*))");
        !m.empty()) {
      std::string extra = m.str(1);
      if (extra.rfind("-", 0) == 0) return "unknown option " + extra;
      return "unexpected argument '" + extra + "'";
    }
  }
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) != nullptr) {
    if (auto m = match(what, R"((\S+): \d+ required \S+ missing)"); !m.empty()) {
      return m.str(1) + " needs a value";
    }
  }
  if (dynamic_cast<const CLI::ValidationError*>(&e) != nullptr) {
    if (auto m = match(what, R"((\S+): Value (.*) not in range (\S+) to (\S+))"); !m.empty()) {
      return m.str(1) + ": " + m.str(2) + " is not in range " + m.str(3) + ".." + m.str(4);
    }
    // CLI::IsMember: "--side: foo not in {client,server}".
    if (auto m = match(what, R"((\S+): (.*) not in \{(.*)\})"); !m.empty()) {
      return m.str(1) + ": '" + m.str(2) + "': want one of " +
             std::regex_replace(m.str(3), std::regex(","), ", ");
    }
    // CLI::ExistingFile: "--allow: File does not exist: x".
    if (auto m = match(what, R"((\S+): File does not exist: (.*))"); !m.empty()) {
      return m.str(1) + " " + m.str(2) + ": no such file";
    }
  }
  return what;  // already one line; the cases above are the ones users meet
}

int report_usage_error(const std::string& command, const std::string& what) {
  std::fprintf(stderr, "%s: %s (%s --help)\n", command.c_str(), what.c_str(), command.c_str());
  return 2;
}

void set_command_path(std::string path) { current_command_path() = std::move(path); }

const std::string& command_path() { return current_command_path(); }

int usage_error(const std::string& what) { return report_usage_error(command_path(), what); }

std::string format_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace ustack::tools
