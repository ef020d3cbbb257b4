// `ustack slirp4netns`: a drop-in for slirp4netns as rootlesskit (--net=slirp4netns) and
// Podman call it: slirp4netns's options and arguments (tools/slirp4netns_options.h) mapped onto
// `ustack sandbox`. Installed as a symlink named slirp4netns, `ustack` runs this subcommand
// (ustack_main.cc). README "ustack slirp4netns".
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "tools/sandbox_options.h"
#include "tools/slirp4netns_options.h"
#include "tools/subcommand.h"
#include "tools/usage_error.h"

namespace ustack::tools {
namespace {

std::string read_text(const char* path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int run_slirp4netns(const Slirp4netnsArgs& a) {
  if (a.version) {
    std::fputs(slirp4netns_version_text().c_str(), stdout);
    return 0;
  }
  Slirp4netnsEnv env;
  env.resolv_conf = read_text("/etc/resolv.conf");
  std::error_code ec;
  env.cwd = std::filesystem::current_path(ec).string();
  env.path_exists = [](const std::string& p) { return ::access(p.c_str(), F_OK) == 0; };
  Slirp4netnsMapping m = map_slirp4netns(a, env);
  if (!m.options) return usage_error(m.error);
  for (const std::string& note : m.notes)
    std::fprintf(stderr, "ustack slirp4netns: %s\n", note.c_str());
  return run_sandbox(*m.options);
}

Subcommand slirp4netns_cmd(
    "slirp4netns",
    "slirp4netns's command line (PID|PATH TAPNAME, -c -m -r -e ...) on ustack sandbox",
    [](CLI::App& app) {
      auto a = std::make_shared<Slirp4netnsArgs>();
      add_slirp4netns_options(app, *a);
      return [a] { return run_slirp4netns(*a); };
    });

}  // namespace
}  // namespace ustack::tools
