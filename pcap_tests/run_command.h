// Runs a shell command from a test (tshark, tcpdump): returns its standard output, or fails
// the running test with the command's error output and exit status. Shared by the pcap tests.
#pragma once

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace ustack {

inline std::string run_command(const std::string& cmd) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const std::string err = std::string(tmp ? tmp : "/tmp") + "/command.stderr";
  FILE* p = popen((cmd + " 2>" + err).c_str(), "r");
  if (!p) {
    ADD_FAILURE() << "cannot run: " << cmd;
    return "";
  }
  std::string out;
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  if (status != 0) {
    std::string e;
    if (FILE* f = std::fopen(err.c_str(), "r")) {
      while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) e.append(buf, n);
      std::fclose(f);
    }
    ADD_FAILURE() << "`" << cmd << "` failed (status " << status << "): " << e;
  }
  return out;
}

}  // namespace ustack
