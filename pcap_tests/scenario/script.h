// A packetdrill script (https://github.com/google/packetdrill) as a small AST: the subset of
// its language that TCP and UDP tests use, parsed by our own code.
//
//   0.000 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
//   +0    bind(3, ..., ...) = 0
//   +0    listen(3, 1) = 0
//   +0.1  < S 0:0(0) win 65535 <mss 1460,sackOK,nop,nop,nop,wscale 7>
//   +0    > S. 0:0(0) ack 1 <...>
//
// Each event is one line (a syscall may continue over lines while its parentheses are open):
// a time (`0.1` absolute, `+0.1` after the previous event, `0.1~0.2` or `+0~+0.2` a range),
// then a packet (`<` injected from the peer, `>` expected from the system under test) or a
// syscall with its expected result. Times resolve to absolute script times here, as packetdrill
// does when it parses. Anything outside the subset is refused with "FILE:LINE: unsupported:
// <construct>", never skipped: a skipped line would make a script pass that tests nothing.
//
// Flags: packetdrill takes command-line flags, and a script may give them on lines of their own
// before its first event (`--tolerance_usecs=10000`) or, our addition, in a comment on its
// first line (`// flags: --ip_version=ipv6`). Known: --ip_version, --tolerance_usecs,
// --strict_segments, and --local_ip/--remote_ip (accepted, no effect: a scenario uses its own
// addresses); any other flag is refused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "stack/base/addr.h"
#include "stack/base/time.h"
#include "stack/wire/tcp.h"

namespace ustack::scenario {

// When an event happens, in script time (since the script's start). For a range, the event
// may happen anywhere in [start, end]; a plain time has end == start.
struct EventTime {
  Duration start;
  Duration end;
  // Written "+...": packetdrill rebases such a time on when the previous event really happened
  // (an outbound packet that came 3 ms late moves the following relative events by 3 ms).
  bool relative = false;
};

// A TCP segment as the script writes it: "S. 0:0(0) ack 1 win 65535 <mss 1460,...>".
// Sequence numbers are relative (packetdrill): inbound seq/end to the peer's ISN, inbound ack
// and SACK blocks to the SUT's ISN; outbound the other way round.
struct TcpSegmentSpec {
  std::uint8_t flags = 0;  // tcp_flags::k*
  std::uint32_t seq = 0;
  std::uint32_t end_seq = 0;
  std::uint32_t len = 0;  // payload bytes: end_seq - seq
  std::optional<std::uint32_t> ack;
  std::optional<std::uint32_t> win;  // required on inbound segments (packetdrill)
  // `urg N` (packetdrill's opt_urg_ptr, after `win`): the urgent pointer field. Inbound it is
  // sent as written (with `U` in the flags for it to mean anything); outbound it is compared.
  std::optional<std::uint32_t> urg;
  enum class Options : std::uint8_t {
    kNone,    // no option list: the segment has no options
    kListed,  // `<mss 1460,nop,...>`: exactly these, in this order
    kAny,     // `<...>`: outbound only, any options
  };
  Options options_kind = Options::kNone;
  // Typed values plus the kinds in written order (TcpOptions::order), so an inbound segment
  // is emitted in the script's layout and an outbound one compared against it.
  TcpOptions options;
};

// "udp (100)": a datagram of that many payload bytes between the peer and the SUT's socket.
struct UdpDatagramSpec {
  std::uint32_t len = 0;
};

// An ICMP or ICMPv6 error from the peer quoting a packet the SUT sent (packetdrill's
// `icmp TYPE [CODE] [mtu N] [QUOTE]`):
//   < icmp unreachable frag_needed mtu 1200 [1:1461(1460)]   (RFC 792, RFC 1191 §4)
//   < icmp6 packet_too_big mtu 1280 [1:1221(1220)]           (RFC 4443 §3.2)
//   < icmp unreachable port_unreachable [udp (100)]
// `icmp` is ICMPv4 or ICMPv6 as the script's IP version says (packetdrill); `icmp6`, our
// addition, says ICMPv6 outright and is refused in an IPv4 script. Type and code names are
// packetdrill's (icmp_packet.c), resolved once the IP version is final (the command line may
// change it after the text is read). The quote is built by the runner from the SUT's real
// addresses, ports and ISN: the IP header and the first 8 transport bytes (RFC 792, RFC 4443
// §3.1), the most packetdrill sends and all that Linux reads (ports, and the TCP sequence
// number it checks against SND.UNA..SND.NXT).
struct IcmpErrorSpec {
  bool v6_keyword = false;  // written `icmp6`
  std::string type_name;    // "unreachable", "packet_too_big", ...
  std::string code_name;    // "frag_needed", ...; empty when the line gives none (code 0)
  // Resolved by parse_script once the IP version is known.
  bool v6 = false;
  std::uint8_t type = 0;
  std::uint8_t code = 0;
  std::optional<std::uint32_t> mtu;  // RFC 1191 next-hop MTU / RFC 4443 §3.2 MTU
  // What is quoted: `[seq:end(len)]` a TCP segment (seq relative to the SUT's ISN, as an
  // outbound line writes it), `[udp (N)]` a UDP datagram of N payload bytes. Without a
  // bracket packetdrill quotes a TCP segment at seq 0 with no payload; so do we.
  enum class Quoted : std::uint8_t { kTcp, kUdp };
  Quoted quoted = Quoted::kTcp;
  // An expected ('>') ICMP error, `> icmp6 parameter_problem unknown_option`, is checked for
  // its type and, when the line names one, its code; it has no quote and no mtu.
  bool any_code = false;  // outbound, no code written
  std::uint32_t seq = 0;  // TCP: the quoted sequence number, relative
  std::uint32_t len = 0;  // TCP or UDP payload bytes of the quoted packet
};

// Our extension (packetdrill has no syntax for it): `frag N [reverse] [overlap K]` after an
// inbound TCP or UDP line sends the packet as IPv4 fragments (RFC 791 §2.3) or with IPv6
// Fragment headers (RFC 8200 §4.5), each carrying at most N octets of the fragmentable part,
// in offset order. `reverse` sends the last fragment first; `overlap K` makes every fragment
// after the first start K octets early, repeating the previous fragment's last K octets (with
// the same bytes: RFC 5722 says an IPv6 receiver drops the whole datagram all the same). The
// Identification is the event's line number, so it is the same in every run.
struct FragSpec {
  std::uint32_t size = 0;  // a multiple of 8 (the fragment offset unit)
  bool reverse = false;
  std::uint32_t overlap = 0;  // a multiple of 8, below size
};

// Our extension: an IPv6 extension header the runner puts before the upper layer of an
// inbound packet, written in brackets before the packet, `< [hbh,dstopt] S 0:0(0) win ...`.
// Each is 8 octets, its option area one PadN (RFC 8200 §4.2) unless `unknown=0xTT` asks for
// an option of that unassigned type (the two high bits are its action, §4.2: 0x80 = discard
// and send Parameter Problem code 2), a 4-octet option with 2 data octets.
struct ExtHeaderSpec {
  enum class Kind : std::uint8_t { kHopByHop, kDestOpts };
  Kind kind = Kind::kDestOpts;
  std::optional<std::uint8_t> unknown_option;
};

struct PacketEvent {
  bool inbound = false;  // '<': the runner injects it; '>': the SUT must send it
  std::variant<TcpSegmentSpec, UdpDatagramSpec, IcmpErrorSpec> packet;
  std::optional<FragSpec> frag;            // inbound TCP/UDP only
  std::vector<ExtHeaderSpec> ext_headers;  // inbound TCP/UDP in an IPv6 script only
};

// One argument of a syscall: "..." (the runner fills it in: an address, a buffer), an integer
// expression (3, SOCK_STREAM, O_RDWR|O_NONBLOCK, 0x2) or a one-element list ([1]) as
// setsockopt/getsockopt take their value.
struct SyscallArg {
  enum class Kind : std::uint8_t { kEllipsis, kInt, kList };
  Kind kind = Kind::kEllipsis;
  long value = 0;
  std::string text;  // as written, for messages
};

// "connect(3, ..., ...) = -1 EINPROGRESS (Operation now in progress)".
struct SyscallEvent {
  std::string name;  // socket, bind, listen, accept, connect, write, read, send, recv, sendto,
                     // recvfrom, shutdown, close, setsockopt, getsockopt, fcntl; send and recv
                     // take flags 0 or MSG_OOB
  std::vector<SyscallArg> args;
  long expected = 0;                  // the return value
  std::optional<int> expected_errno;  // with expected == -1
  std::string text;                   // "connect(3, ..., ...) = -1 EINPROGRESS", for messages
};

struct Event {
  int line = 0;
  EventTime time;
  std::variant<PacketEvent, SyscallEvent> what;
};

struct Script {
  std::string file;  // for messages: "FILE:LINE: ..."
  IpVersion ip_version = IpVersion::kV4;
  std::optional<Duration> tolerance;  // from --tolerance_usecs in the script, if given
  // --strict_segments: an expected segment must come as one packet (runner.h).
  bool strict_segments = false;
  std::vector<Event> events;  // in time order
};

// What the command line may override (packetdrill's flags of the same names).
struct ScriptOptions {
  std::optional<IpVersion> ip_version;
};

struct ParseOutcome {
  std::optional<Script> script;
  // "FILE:LINE: unsupported: <construct>" or "FILE:LINE: <what is wrong>" when script is empty.
  std::string error;
};

ParseOutcome parse_script(std::string_view text, const std::string& file,
                          const ScriptOptions& opts = {});

// "S.", "F.", "." ...: the flags as packetdrill writes them (its order: F S R P . E W; "-" for
// none).
std::string script_flags_string(std::uint8_t flags);

}  // namespace ustack::scenario
