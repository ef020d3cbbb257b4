// Subcommand registry for the `ustack` command line.
//
// Each subcommand lives in its own tools/cmd_<name>.cc and registers itself with a static
// Subcommand object:
//
//   static Subcommand dump("dump", "print every packet of a capture", [](CLI::App& app) {
//     auto opts = std::make_shared<DumpOptions>();
//     app.add_option("file", opts->file, "pcap or pcapng file")->required();
//     return [opts] { return run_dump(*opts); };   // returns the process exit code
//   });
//
// ustack_main.cc builds the CLI11 app from the registry, so adding a subcommand never edits a
// shared file.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string>
#include <vector>

namespace ustack::tools {

// Adds the subcommand's options to `app` and returns the function that runs it.
using SubcommandSetup = std::function<std::function<int()>(CLI::App& app)>;

struct SubcommandInfo {
  std::string name;
  std::string description;
  SubcommandSetup setup;
};

std::vector<SubcommandInfo>& subcommand_registry();

struct Subcommand {
  Subcommand(std::string name, std::string description, SubcommandSetup setup) {
    subcommand_registry().push_back({std::move(name), std::move(description), std::move(setup)});
  }
};

}  // namespace ustack::tools
