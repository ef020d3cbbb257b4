// `ustack`: one command line program with subcommands (`ustack help` lists them).
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "tools/subcommand.h"
#include "tools/usage_error.h"

namespace ustack::tools {

std::vector<SubcommandInfo>& subcommand_registry() {
  static std::vector<SubcommandInfo> registry;
  return registry;
}

}  // namespace ustack::tools

namespace {

int print_usage(const CLI::App& app) {
  std::printf(
      "usage: ustack SUBCOMMAND [OPTIONS]   (ustack SUBCOMMAND --help for its options)\n\n");
  std::printf("subcommands:\n");
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    std::printf("  %-10s %s\n", sub->get_name().c_str(), sub->get_description().c_str());
  }
  return 0;
}

bool is_subcommand(const CLI::App& app, const std::string& name) {
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    if (sub->get_name() == name) return true;
  }
  return false;
}

// "ustack up" for a parse error inside `up` (also `ustack udp send`): the subcommands parsed.
std::string parsed_command_path(const CLI::App& app) {
  std::string path = "ustack";
  for (const CLI::App* a = &app;;) {
    const CLI::App* next = nullptr;
    for (const CLI::App* sub : a->get_subcommands()) next = sub;
    if (next == nullptr) break;
    path += " " + next->get_name();
    a = next;
  }
  return path;
}

constexpr const char* kVersion = "ustack 0.9 (userspace TCP/IP stack over TUN/TAP; C++20)";

}  // namespace

int main(int argc, char** argv) {
  using namespace ustack::tools;
  // Run as `slirp4netns` (a symlink to ustack: rootlesskit --slirp4netns-binary, Podman's
  // helper_binaries_dir), it is `ustack slirp4netns ARGS...`.
  std::vector<char*> args(argv, argv + argc);
  std::string self = argc > 0 ? argv[0] : "";
  if (self.substr(self.rfind('/') + 1) == "slirp4netns") {
    static char name[] = "slirp4netns";
    args.insert(args.begin() + 1, name);
    argc = static_cast<int>(args.size());
    argv = args.data();
  }
  // Named "ustack" whatever argv[0] is (bazel-bin/tools/ustack, a symlink), so help reads
  // "Usage: ustack connect [OPTIONS] ..." as the README does.
  CLI::App app{"ustack: a userspace TCP/IP stack over TUN/TAP", "ustack"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "show the options of every subcommand");
  std::map<CLI::App*, std::function<int()>> runners;
  auto& registry = subcommand_registry();
  std::sort(registry.begin(), registry.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  for (auto& sc : registry) {
    CLI::App* sub = app.add_subcommand(sc.name, sc.description);
    runners[sub] = sc.setup(*sub);
  }
  CLI::App* help = app.add_subcommand("help", "list the subcommands, or show one's options");
  std::string topic;
  help->add_option("subcommand", topic, "the subcommand to explain");
  app.set_version_flag("--version", kVersion);
  if (argc > 1 && argv[1][0] != '-' && !is_subcommand(app, argv[1])) {
    std::fprintf(stderr, "ustack: unknown subcommand '%s' (ustack help lists them)\n", argv[1]);
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);  // --help, --help-all, --version: printed, exit 0
  } catch (const CLI::ParseError& e) {
    if (argc == 1) {
      print_usage(app);
      return 2;
    }
    // One line in ustack's words and the usual 2 for a usage error (not CLI11's 104..114).
    return report_usage_error(parsed_command_path(app), usage_error_text(e));
  }
  set_command_path(parsed_command_path(app));  // for the commands' own usage errors
  if (help->parsed()) {
    if (topic.empty()) return print_usage(app);
    for (CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
      if (sub->get_name() == topic && sub != help) {
        std::printf("%s", sub->help("ustack").c_str());
        return 0;
      }
    }
    std::fprintf(stderr, "ustack help: unknown subcommand '%s' (ustack help lists them)\n",
                 topic.c_str());
    return 2;
  }
  for (auto& [sub, run] : runners) {
    if (sub->parsed()) return run();
  }
  return 1;
}
