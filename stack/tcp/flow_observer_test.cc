// TcpLayer::set_flow_observer: the layer tells when a 4-tuple starts and stops being held
// (holds_flow), the record a multi-queue shell (tun/shard_router.h) steers packets by.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "stack/tcp/layer_pair.h"

namespace ustack {
namespace {

// Every call, as "+tuple" (opened) and "-tuple" (closed).
class RecordingObserver final : public FlowObserver {
 public:
  void flow_opened(const FlowKey& k) override { calls.push_back("+" + name(k)); }
  void flow_closed(const FlowKey& k) override { calls.push_back("-" + name(k)); }
  std::vector<std::string> calls;

 private:
  static std::string name(const FlowKey& k) {
    return TcpTuple{k.local, k.remote, k.local_port, k.remote_port}.to_string();
  }
};

TEST(TcpFlowObserver, ConnectionHeldFromConnectAndSynUntilTimeWaitEnds) {
  TcpLayerPair p;
  RecordingObserver client, server;
  p.client().set_flow_observer(&client);
  p.server().set_flow_observer(&server);
  SocketHandle l = *p.server().listen(p.server_addr(), 80, 16);
  SocketHandle c = *p.client().connect(p.now(), p.client_ip(), p.server_addr(), 80);
  const TcpTuple ct = *p.client().tuple(c);
  const TcpTuple st{ct.remote, ct.local, ct.remote_port, ct.local_port};
  // connect() holds the tuple before its SYN leaves (a reply may reach another shard first).
  ASSERT_EQ(client.calls, std::vector<std::string>{"+" + ct.to_string()});
  EXPECT_TRUE(p.client().holds_flow(ct));
  EXPECT_TRUE(server.calls.empty());
  p.settle();
  // The listener's SYN-RECEIVED child holds it from the SYN on.
  ASSERT_EQ(server.calls, std::vector<std::string>{"+" + st.to_string()});
  EXPECT_TRUE(p.server().holds_flow(st));
  SocketHandle a = *p.server().accept(l);

  // The client closes first: it goes through TIME-WAIT (a compact record, still held); the
  // server's connection is gone after the last ACK.
  p.client().close(c);
  p.settle();
  p.server().close(a);
  p.settle();
  EXPECT_EQ(server.calls.back(), "-" + st.to_string());
  EXPECT_FALSE(p.server().holds_flow(st));
  EXPECT_EQ(p.client().time_wait_count(), 1u);
  EXPECT_EQ(client.calls.size(), 1u);  // the TIME-WAIT record holds the tuple
  EXPECT_TRUE(p.client().holds_flow(ct));
  p.run_for(Duration::seconds(61));  // TCP_TIMEWAIT_LEN
  EXPECT_EQ(client.calls, (std::vector<std::string>{"+" + ct.to_string(), "-" + ct.to_string()}));
  EXPECT_FALSE(p.client().holds_flow(ct));
}

TEST(TcpFlowObserver, RefusedConnectIsReleased) {
  TcpLayerPair p;
  RecordingObserver client;
  p.client().set_flow_observer(&client);
  SocketHandle c = *p.client().connect(p.now(), p.client_ip(), p.server_addr(), 81);
  const TcpTuple ct = *p.client().tuple(c);
  p.settle();  // RST: nobody listens on 81
  EXPECT_EQ(client.calls, (std::vector<std::string>{"+" + ct.to_string(), "-" + ct.to_string()}));
  EXPECT_FALSE(p.client().holds_flow(ct));
}

}  // namespace
}  // namespace ustack
