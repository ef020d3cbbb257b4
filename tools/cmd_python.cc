// `ustack python SCRIPT [ARGS...] -- DEVICE OPTIONS`: runs SCRIPT under the
// interpreter _ustack.so is built for (Debian's /usr/bin/python3) with a ustack network opened from
// DEVICE OPTIONS as the default and ustack.install() done, so a MicroPython-style script (import
// usocket / uselect, or socket / select) runs over ustack unchanged. sys.argv is SCRIPT and ARGS;
// exit status and tracebacks are python3's. It execs `python3 -m ustack ...`
// (python/ustack/__main__.py) with the ustack package on PYTHONPATH: $USTACK_PYTHONPATH if set,
// else the one built next to this binary (its Bazel runfiles).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tools/subcommand.h"
#include "tools/usage_error.h"

namespace ustack::tools {
namespace {

// The interpreter //python:_ustack.so is built for (third_party/python3/repo.bzl: Debian's
// /usr/bin/python3 unless $USTACK_PYTHON3 named another at build time).
#ifndef USTACK_PYTHON3
#define USTACK_PYTHON3 "/usr/bin/python3"
#endif
constexpr const char* kPython = USTACK_PYTHON3;

std::string package_dir() {
  if (const char* env = std::getenv("USTACK_PYTHONPATH"); env && *env) return env;
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  std::filesystem::path dir = exe.string() + ".runfiles/ustack/python";
  if (!ec && std::filesystem::exists(dir / "ustack" / "__main__.py", ec)) return dir.string();
  return {};
}

int run_python(const std::vector<std::string>& words) {
  auto dashes = std::find(words.begin(), words.end(), "--");
  if (words.empty() || dashes == words.begin() || dashes == words.end()) {
    return usage_error("want SCRIPT [ARGS...] -- DEVICE OPTIONS");
  }
  std::string dir = package_dir();
  if (dir.empty()) {
    std::fprintf(stderr,
                 "ustack python: cannot find the ustack Python package (bazel build "
                 "//tools:ustack builds it next to the binary; or set USTACK_PYTHONPATH)\n");
    return 1;
  }
  const char* old = std::getenv("PYTHONPATH");
  std::string path = old && *old ? dir + ":" + old : dir;
  setenv("PYTHONPATH", path.c_str(), 1);
  std::vector<std::string> argv = {"python3", "-m", "ustack"};
  argv.insert(argv.end(), words.begin(), words.end());
  std::vector<char*> cargv;
  for (std::string& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  execv(kPython, cargv.data());
  std::perror((std::string("ustack python: ") + kPython).c_str());
  return 1;
}

Subcommand python_cmd(
    "python", "run a MicroPython-style script over ustack: SCRIPT [ARGS...] -- DEVICE OPTIONS",
    [](CLI::App& app) {
      // Every word after `python` is passed on as typed: SCRIPT's arguments are not ours.
      app.prefix_command();
      app.allow_extras();
      return [&app] { return run_python(app.remaining()); };
    });

}  // namespace
}  // namespace ustack::tools
