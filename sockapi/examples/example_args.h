// The examples' command lines: their own arguments first, then the device options exactly as
// `ustack` takes them (usocket::Network::open):
//   tcp_echo_server 7 --tun ust0 --netns demo --addr 198.18.0.2/24
#pragma once

#include <string>
#include <vector>

namespace usocket::examples {

struct Args {
  std::vector<std::string> own;     // up to the first "--option"
  std::vector<std::string> device;  // from there on: for Network::open
};

inline Args split_args(int argc, char** argv) {
  Args a;
  int i = 1;
  for (; i < argc && std::string(argv[i]).rfind("--", 0) != 0; ++i) a.own.push_back(argv[i]);
  for (; i < argc; ++i) a.device.push_back(argv[i]);
  return a;
}

}  // namespace usocket::examples
