// Runs a packetdrill Script against a SystemUnderTest, in script time order (packetdrill's
// run.c, our own code):
//   - a syscall or an inbound ('<') packet waits until its time, then happens;
//   - an outbound ('>') packet takes the SUT's next packet, waiting until the end of the
//     event's time range plus the tolerance, and checks it (flow.h: flags, seq, len, ack, win,
//     options; `<...>` = any options; no ack/win written = not checked); a packet earlier than
//     the start minus the tolerance is reported too early;
//   - a relative time ("+0.1") counts from when the previous outbound packet really came
//     (packetdrill rebases relative times on the actual time of the last packet it sniffed).
// Packets the SUT sends that no '>' line reads are not errors by themselves (as in
// packetdrill): they show up as a mismatch at the next '>' line. Without --strict_segments
// (packetdrill's default), a '>' segment carrying more data than the SUT's next packet is
// matched by the consecutive packets that together carry its bytes (a script written for a
// TSO/GSO "super packet", sent by a SUT without offloads as MSS-sized segments), checked as
// packetdrill aggregates them: the last piece's header with the first one's seq.
//
// Failures stop the run at the first one (packetdrill's behaviour: later lines usually depend
// on the earlier ones) unless keep_going, which reports every failing line; later messages
// may then be consequences of the first.
//
// Syscalls map the script's "..." to the flow: bind to (local address, bind_port), connect and
// sendto to (remote address, remote port), socket's domain to the script's IP version; write
// buffers are zeros. fcntl(F_GETFL) is answered by the runner (O_RDWR plus the O_NONBLOCK it
// set), since the seam has no such call. A call that reports EAGAIN/EINPROGRESS on a socket
// the script left blocking says so: blocking calls ("0.1...0.2") are not supported.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pcap_tests/replay/timed_packet.h"
#include "pcap_tests/scenario/script.h"
#include "pcap_tests/scenario/system_under_test.h"
#include "stack/base/time.h"

namespace ustack::scenario {

struct RunOptions {
  ScenarioAddresses addresses;
  // packetdrill's --tolerance_usecs default; a script's flags comment overrides it.
  Duration tolerance = Duration::millis(4);
  bool keep_going = false;
  // The peer's ISN: inbound seq 0 is this on the wire. Not 0, so a runner that forgot to
  // map a number shows it.
  std::uint32_t peer_isn = 1'000'000;
  std::uint16_t bind_port = 8080;  // packetdrill's --bind_port default
};

struct RunResult {
  bool passed = false;
  // "FILE:LINE: expected ..., got ..." per failure, in order.
  std::vector<std::string> messages;
  replay::PacketList capture;  // the SUT's, both directions
};

RunResult run_script(const Script& script, SystemUnderTest& sut, const RunOptions& options = {});

}  // namespace ustack::scenario
