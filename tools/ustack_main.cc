// `ustack`: one command line program with subcommands (`ustack help` lists them).
#include <algorithm>
#include <cstdio>
#include <map>

#include "tools/subcommand.h"

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

}  // namespace

int main(int argc, char** argv) {
  using namespace ustack::tools;
  CLI::App app{"ustack: a userspace TCP/IP stack over TUN/TAP"};
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
  CLI::App* help = app.add_subcommand("help", "list the subcommands");
  if (argc > 1 && argv[1][0] != '-' && !is_subcommand(app, argv[1])) {
    std::fprintf(stderr, "ustack: unknown subcommand '%s' (ustack help lists them)\n", argv[1]);
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (argc > 1 && std::string(argv[1]) == "help") return print_usage(app);
    if (argc == 1) {
      print_usage(app);
      return 2;
    }
    // CLI11 prints the message; its own codes (105, 106 ...) become the usual 2 for a usage
    // error, as every ustack subcommand says in its help.
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (help->parsed()) return print_usage(app);
  for (auto& [sub, run] : runners) {
    if (sub->parsed()) return run();
  }
  return 1;
}
