// _ustack: the CPython binding of the usocket API (sockapi/). Thin on purpose: every Python
// method is one call of the C++ API; what is here is only what Python needs on top:
//   - conversions: bytes-like in, bytes out, None for "no data", (host, port[, flowinfo,
//     scopeid]) tuples, usocket::OSError -> the built-in OSError(errno, text);
//   - the GIL released while a call runs the network's event loop, one thread at a time in a
//     network (a per-network lock: sockapi networks are single-threaded);
//   - Ctrl-C: during a call on a device network the AsioRuntime's SIGINT handler is installed
//     (it stops the loop: the call ends with EINTR), then Python's is put back, the runtime
//     resumed and Python's SIGINT handler run (KeyboardInterrupt);
//   - lifetimes: a socket keeps its network alive; Network.close() (or the end of its `with`)
//     closes the sockets and pollers still open on it, then the device.
// The pure-Python package (python/ustack/) shapes these into the usocket/uselect modules.
#include <poll.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <csignal>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "sockapi/getaddrinfo.h"
#include "sockapi/inet.h"
#include "sockapi/network.h"
#include "sockapi/os_error.h"
#include "sockapi/uselect.h"
#include "sockapi/usocket.h"
#include "stack/fake_runtime.h"
#include "stack/link_device.h"
#include "tun/runtime.h"

namespace py = pybind11;
using usocket::OSError;

namespace {

// --- Ctrl-C ------------------------------------------------------------------------------

// Asio's SIGINT handler, taken when the first device network installed it. Python's handler
// stays in place except while a call on a device network runs the loop in the main thread.
std::optional<struct sigaction> g_loop_sigint;
unsigned long g_main_thread = 0;

// Keeps Python's SIGINT disposition across a scope in which asio may change it (opening a
// device network installs asio's handler; closing the last one resets it to SIG_DFL).
class KeepPythonSigint {
 public:
  KeepPythonSigint() { sigaction(SIGINT, nullptr, &python_); }
  ~KeepPythonSigint() {
    struct sigaction now;
    sigaction(SIGINT, nullptr, &now);
    if (now.sa_handler != python_.sa_handler) {
      if (!g_loop_sigint) g_loop_sigint = now;  // asio's, installed by the first open
      sigaction(SIGINT, &python_, nullptr);
    }
  }

 private:
  struct sigaction python_;
};

// While alive (and `on`), SIGINT goes to the AsioRuntime: it stops the loop. An ignored SIGINT
// (a shell's background job) stays ignored.
class LoopTakesSigint {
 public:
  explicit LoopTakesSigint(bool on) : on_(on && g_loop_sigint) {
    if (!on_) return;
    sigaction(SIGINT, nullptr, &python_);
    on_ = python_.sa_handler != SIG_IGN;
    if (on_) sigaction(SIGINT, &*g_loop_sigint, nullptr);
  }
  ~LoopTakesSigint() {
    if (on_) sigaction(SIGINT, &python_, nullptr);
  }

 private:
  bool on_;
  struct sigaction python_;
};

// --- networks ----------------------------------------------------------------------------

// A socket or poller: released when its network closes.
struct Resource {
  virtual void drop() = 0;

 protected:
  ~Resource() = default;
};

// A VirtualLab and the lock of its one runtime, which its networks share.
struct Lab {
  std::shared_ptr<std::recursive_mutex> mu = std::make_shared<std::recursive_mutex>();
  usocket::VirtualLab lab;
  explicit Lab(const ustack::LinkConfig& c) : lab(c) {}
};

struct Net {
  std::shared_ptr<Lab> lab;  // in-memory networks: outlives the network
  std::optional<usocket::Network> net;
  ustack::tun::AsioRuntime* asio = nullptr;  // device networks
  // One thread in the network's runtime at a time (sockapi networks are single-threaded).
  std::shared_ptr<std::recursive_mutex> mu_ptr;
  std::recursive_mutex& mu;

  std::set<Resource*> resources;  // what close() releases

  explicit Net(std::shared_ptr<Lab> l = nullptr)
      : lab(l), mu_ptr(l ? l->mu : std::make_shared<std::recursive_mutex>()), mu(*mu_ptr) {}

  ~Net() { close(); }

  usocket::Network& get() {
    if (!net) throw OSError(EBADF, "the network is closed");
    return *net;
  }
  // True once: the loop was stopped by SIGINT (then resumed).
  bool take_sigint() {
    if (!asio || asio->stop_signal() != SIGINT) return false;
    asio->resume();
    return true;
  }
  void close() {
    std::lock_guard lock(mu);
    for (Resource* r : resources) r->drop();
    resources.clear();
    KeepPythonSigint keep;
    asio = nullptr;
    net.reset();
  }
};

std::shared_ptr<Net> g_default;         // the first network opened, or set_default()'s
std::vector<std::weak_ptr<Net>> g_all;  // closed at exit (ustack/__init__.py)

std::shared_ptr<Net> default_net() {
  if (!g_default || !g_default->net) {
    throw OSError(ENETDOWN, "no network: open one with ustack.Network(...) first");
  }
  return g_default;
}

void set_default(const std::shared_ptr<Net>& n) {
  g_default = n;
  usocket::set_default(n->get());
}

std::shared_ptr<Net> adopt(std::shared_ptr<Net> n) {
  n->asio = dynamic_cast<ustack::tun::AsioRuntime*>(&n->get().runtime());
  g_all.push_back(n);
  if (!g_default || !g_default->net) set_default(n);
  return n;
}

// Runs f() in network n: GIL released, n locked, SIGINT stopping the loop (see top).
template <class F>
auto run(Net& n, F&& f) -> decltype(f()) {
  using R = decltype(f());
  const bool main_thread = PyThread_get_thread_ident() == g_main_thread;
  std::exception_ptr error;
  std::conditional_t<std::is_void_v<R>, bool, std::optional<R>> result{};
  bool interrupted = false;
  {
    py::gil_scoped_release nogil;
    std::lock_guard lock(n.mu);
    {
      LoopTakesSigint sigint(main_thread && n.asio != nullptr);
      try {
        if constexpr (std::is_void_v<R>) {
          f();
        } else {
          result.emplace(f());
        }
      } catch (...) {
        error = std::current_exception();
      }
    }
    interrupted = n.take_sigint();
  }
  if (interrupted) {
    PyErr_SetInterrupt();  // Python's SIGINT handler runs now or at the next bytecode
    if (error && PyErr_CheckSignals() != 0) throw py::error_already_set();
  }
  if (error) std::rethrow_exception(error);
  if constexpr (!std::is_void_v<R>) return std::move(*result);
}

// --- sockets -----------------------------------------------------------------------------

struct Socket final : Resource {
  Socket(std::shared_ptr<Net> n, usocket::socket so) : net(std::move(n)), s(std::move(so)) {
    net->resources.insert(this);  // called in run(): the network is locked
  }
  ~Socket() {  // the finalizer: closes the socket (GIL held; waits for the network's lock)
    std::lock_guard lock(net->mu);
    net->resources.erase(this);
    s.reset();
  }
  void drop() override { s.reset(); }
  usocket::socket& get() {
    if (!s) throw OSError(EBADF);
    return *s;
  }
  // f(socket&) in the network.
  template <class F>
  auto call(F&& f) {
    return run(*net, [&] { return f(get()); });
  }

  std::shared_ptr<Net> net;
  std::optional<usocket::socket> s;
};

std::unique_ptr<Socket> make_socket(const std::shared_ptr<Net>& n, int af, int type, int proto) {
  return run(
      *n, [&] { return std::make_unique<Socket>(n, usocket::socket(n->get(), af, type, proto)); });
}

// CPython's TypeError texts for addresses.
usocket::sockaddr to_sockaddr(const py::handle& o) {
  if (!py::isinstance<py::tuple>(o)) {
    throw py::type_error("address must be a tuple, not " +
                         std::string(py::str(o.get_type().attr("__name__"))));
  }
  auto t = py::reinterpret_borrow<py::tuple>(o);
  if (t.size() != 2 && t.size() != 4) {
    throw py::type_error("address must be (host, port) or (host, port, flowinfo, scopeid)");
  }
  if (!py::isinstance<py::str>(t[0])) {
    throw py::type_error("str expected as host, not " +
                         std::string(py::str(t[0].get_type().attr("__name__"))));
  }
  for (std::size_t i = 1; i < t.size(); ++i) {
    if (!py::isinstance<py::int_>(t[i])) {
      throw py::type_error("'" + std::string(py::str(t[i].get_type().attr("__name__"))) +
                           "' object cannot be interpreted as an integer");
    }
  }
  auto host = t[0].cast<std::string>();
  if (t.size() == 2) return {host, t[1].cast<std::int64_t>()};
  return {host, t[1].cast<std::int64_t>(), t[2].cast<std::int64_t>(), t[3].cast<std::int64_t>()};
}

Socket& as_socket(const py::handle& o) {
  if (!py::isinstance<Socket>(o)) {
    throw py::type_error("a ustack socket is required, not " +
                         std::string(py::str(o.get_type().attr("__name__"))));
  }
  return o.cast<Socket&>();
}

py::tuple to_tuple(const usocket::sockaddr& a) {
  if (a.family() == AF_INET) return py::make_tuple(a.host(), a.port());
  return py::make_tuple(a.host(), a.port(), a.flowinfo(), a.scope_id());
}

// A bytes-like argument, held (and its buffer pinned) while the GIL is released.
struct Data {
  explicit Data(const py::buffer& b) : info(b.request()) {
    if (!PyBuffer_IsContiguous(info.view(), 'C')) throw py::type_error("contiguous buffer needed");
  }
  std::string_view view() const {
    return {static_cast<const char*>(info.ptr),
            static_cast<std::size_t>(info.size * info.itemsize)};
  }
  py::buffer_info info;
};

py::object maybe_bytes(const std::optional<std::string>& b) {
  return b ? py::object(py::bytes(*b)) : py::object(py::none());
}

py::object maybe_int(const std::optional<std::size_t>& n) {
  return n ? py::object(py::int_(*n)) : py::object(py::none());
}

// --- uselect.poll ------------------------------------------------------------------------

struct Poller final : Resource {
  Poller() : p(std::in_place) {}
  ~Poller() {
    if (!net) return;
    std::lock_guard lock(net->mu);
    detach();
    p.reset();
    // objects (the registered sockets) go after the lock is released: their finalizers lock.
  }
  void drop() override { p.reset(); }
  void detach() {
    if (!net) return;
    std::lock_guard lock(net->mu);
    net->resources.erase(this);
  }

  uselect::poller& get() {
    if (!p) throw OSError(EBADF, "the network is closed");
    return *p;
  }
  void register_(Socket& s, const py::object& obj, int mask) {
    if (net != s.net) {  // the first socket, or the first since all were unregistered
      if (!objects.empty()) {
        throw OSError(EINVAL, "uselect: all sockets of a poller must be on one network");
      }
      detach();
      net = s.net;
      run(*net, [&] { net->resources.insert(this); });
    }
    run(*net, [&] { get().register_(s.get(), mask); });
    objects[&*s.s] = obj;  // MicroPython: the poller keeps its sockets alive
  }
  py::list poll(std::optional<double> timeout_ms, bool iterate, int flags) {
    int ms = !timeout_ms || *timeout_ms < 0 ? -1 : static_cast<int>(std::ceil(*timeout_ms));
    // Nothing registered yet: sleeps on the default network.
    auto ready = run(net ? *net : *default_net(),
                     [&] { return iterate ? get().ipoll(ms, flags) : get().poll(ms); });
    py::list out;
    for (auto [s, ev] : ready) out.append(py::make_tuple(objects.at(s), ev));
    return out;
  }

  std::shared_ptr<Net> net;  // the registered sockets' network
  std::optional<uselect::poller> p;
  std::unordered_map<const usocket::socket*, py::object> objects;
};

}  // namespace

PYBIND11_MODULE(_ustack, m) {
  m.doc() = "ustack's usocket API (sockapi/) for CPython; use the ustack package";
  g_main_thread =
      py::module_::import("threading").attr("main_thread")().attr("ident").cast<unsigned long>();

  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const OSError& e) {
      // what() is "[Errno N] TEXT"; Python prints OSError(N, TEXT) the same way, and picks the
      // subclass (ConnectionRefusedError, TimeoutError, BlockingIOError ...) from N.
      std::string w = e.what();
      std::size_t sp = w.find("] ");
      std::string text = sp == std::string::npos ? w : w.substr(sp + 2);
      PyErr_SetObject(PyExc_OSError, py::make_tuple(e.errno_value(), text).ptr());
    }
  });

  py::class_<Lab, std::shared_ptr<Lab>>(m, "VirtualLab")
      .def(py::init([](int delay_ms) {
             ustack::LinkConfig c;
             c.a_to_b.delay = ustack::Duration::millis(delay_ms);
             c.b_to_a.delay = ustack::Duration::millis(delay_ms);
             return std::make_shared<Lab>(c);
           }),
           py::arg("delay_ms") = 0)
      .def("now", [](Lab& l) { return l.lab.runtime().now().total_nanos() / 1e9; });

  py::class_<Net, std::shared_ptr<Net>>(m, "Network")
      .def(py::init([](const py::args& args) {
        auto words = args.cast<std::vector<std::string>>();
        auto n = std::make_shared<Net>();
        {
          py::gil_scoped_release nogil;  // bring-up may wait for the device
          KeepPythonSigint keep;
          n->net = usocket::Network::open(words);
        }
        return adopt(n);
      }))
      .def_static("in_memory",
                  [](const std::shared_ptr<Lab>& lab, const py::args& args) {
                    auto n = std::make_shared<Net>(lab);
                    n->net = usocket::Network::in_memory(lab->lab,
                                                         args.cast<std::vector<std::string>>());
                    return adopt(n);
                  })
      .def(
          "socket",
          [](const std::shared_ptr<Net>& n, int af, int type, int proto) {
            return make_socket(n, af, type, proto);
          },
          py::arg("af") = AF_INET, py::arg("type") = static_cast<int>(SOCK_STREAM),
          py::arg("proto") = 0)
      .def("close", [](Net& n) { n.close(); })
      .def_property_readonly("closed", [](Net& n) { return !n.net; })
      .def("now", [](Net& n) { return n.get().now().total_nanos() / 1e9; });
  m.def("set_default", [](const std::shared_ptr<Net>& n) { set_default(n); });
  m.def("_close_all", [] {
    for (auto& w : g_all) {
      if (auto n = w.lock()) n->close();
    }
    g_all.clear();
    g_default.reset();
  });

  py::class_<Socket>(m, "socket")
      .def(py::init([](int af, int type, int proto) {
             return make_socket(default_net(), af, type, proto);
           }),
           py::arg("af") = AF_INET, py::arg("type") = static_cast<int>(SOCK_STREAM),
           py::arg("proto") = 0)
      .def("close", [](Socket& s) { s.call([](usocket::socket& so) { so.close(); }); })
      .def("bind",
           [](Socket& s, const py::object& a) {
             auto addr = to_sockaddr(a);
             s.call([&](usocket::socket& so) { so.bind(addr); });
           })
      .def(
          "listen",
          [](Socket& s, int backlog) { s.call([&](usocket::socket& so) { so.listen(backlog); }); },
          py::arg("backlog") = usocket::socket::kDefaultBacklog)
      .def("accept",
           [](Socket& s) {
             auto [conn, peer] = run(*s.net, [&] {
               auto [so, addr] = s.get().accept();
               return std::pair(std::make_unique<Socket>(s.net, std::move(so)), addr);
             });
             return py::make_tuple(std::move(conn), to_tuple(peer));
           })
      .def("connect",
           [](Socket& s, const py::object& a) {
             auto addr = to_sockaddr(a);
             s.call([&](usocket::socket& so) { so.connect(addr); });
           })
      .def(
          "send",
          [](Socket& s, const py::buffer& b, int flags) {
            Data d(b);
            return s.call([&](usocket::socket& so) { return so.send(d.view(), flags); });
          },
          py::arg("bytes"), py::arg("flags") = 0)
      .def("sendall",
           [](Socket& s, const py::buffer& b) {
             Data d(b);
             s.call([&](usocket::socket& so) { so.sendall(d.view()); });
           })
      .def(
          "recv",
          [](Socket& s, std::size_t n, int flags) {
            return py::bytes(s.call([&](usocket::socket& so) { return so.recv(n, flags); }));
          },
          py::arg("bufsize"), py::arg("flags") = 0)
      .def("sendto",
           [](Socket& s, const py::buffer& b, const py::object& a) {
             Data d(b);
             auto addr = to_sockaddr(a);
             return s.call([&](usocket::socket& so) { return so.sendto(d.view(), addr); });
           })
      .def("recvfrom",
           [](Socket& s, std::size_t n) {
             auto [data, from, tcp] = s.call([&](usocket::socket& so) {
               auto [d, f] = so.recvfrom(n);
               return std::tuple(d, f, so.type() == SOCK_STREAM);
             });
             // A TCP socket has no datagram source: None, as CPython.
             return py::make_tuple(py::bytes(data), tcp ? py::object(py::none()) : to_tuple(from));
           })
      .def("setsockopt",
           [](Socket& s, int level, int opt, const py::object& v) {
             if (py::isinstance<py::int_>(v)) {
               int i = v.cast<int>();
               return s.call([&](usocket::socket& so) { so.setsockopt(level, opt, i); });
             }
             if (!py::isinstance<py::buffer>(v)) {
               throw py::type_error("a bytes-like object or an integer is required");
             }
             Data d(v.cast<py::buffer>());
             s.call([&](usocket::socket& so) { so.setsockopt(level, opt, d.view()); });
           })
      .def(
          "getsockopt",
          [](Socket& s, int level, int opt, std::optional<std::size_t> buflen) {
            if (!buflen)
              return py::object(
                  py::int_(s.call([&](usocket::socket& so) { return so.getsockopt(level, opt); })));
            return py::object(py::bytes(
                s.call([&](usocket::socket& so) { return so.getsockopt(level, opt, *buflen); })));
          },
          py::arg("level"), py::arg("optname"), py::arg("buflen") = py::none())
      .def("settimeout",
           [](Socket& s, std::optional<double> t) {
             s.call([&](usocket::socket& so) { so.settimeout(t); });
           })
      .def("gettimeout",
           [](Socket& s) { return s.call([](usocket::socket& so) { return so.gettimeout(); }); })
      .def("setblocking",
           [](Socket& s, bool flag) { s.call([&](usocket::socket& so) { so.setblocking(flag); }); })
      .def(
          "makefile",
          [](py::object self, const std::string& mode, int buffering) {
            self.cast<Socket&>().call([&](usocket::socket& so) { so.makefile(mode, buffering); });
            return self;  // the socket itself (the spec)
          },
          py::arg("mode") = "rb", py::arg("buffering") = 0)
      .def(
          "read",
          [](Socket& s, std::optional<std::size_t> n) {
            return maybe_bytes(
                s.call([&](usocket::socket& so) { return n ? so.read(*n) : so.read(); }));
          },
          py::arg("size") = py::none())
      .def(
          "readinto",
          [](Socket& s, const py::buffer& b, std::optional<std::size_t> n) {
            py::buffer_info info;
            try {
              info = b.request(/*writable=*/true);
            } catch (const py::error_already_set& e) {
              if (!e.matches(PyExc_BufferError)) throw;
              throw py::type_error(  // CPython's recv_into words
                  "readinto() argument 'buf' must be read-write bytes-like object, not " +
                  std::string(py::str(b.get_type().attr("__name__"))));
            }
            std::span<char> out(static_cast<char*>(info.ptr), info.size * info.itemsize);
            return maybe_int(s.call([&](usocket::socket& so) { return so.readinto(out, n); }));
          },
          py::arg("buf"), py::arg("nbytes") = py::none())
      .def("readline",
           [](Socket& s) {
             return maybe_bytes(s.call([](usocket::socket& so) { return so.readline(); }));
           })
      .def("write",
           [](Socket& s, const py::buffer& b) {
             Data d(b);
             return maybe_int(s.call([&](usocket::socket& so) { return so.write(d.view()); }));
           })
      .def("shutdown",
           [](Socket& s, int how) { s.call([&](usocket::socket& so) { so.shutdown(how); }); })
      .def("getsockname",
           [](Socket& s) {
             return to_tuple(s.call([](usocket::socket& so) { return so.getsockname(); }));
           })
      .def("getpeername",
           [](Socket& s) {
             return to_tuple(s.call([](usocket::socket& so) { return so.getpeername(); }));
           })
      .def("sockatmark",
           [](Socket& s) { return s.call([](usocket::socket& so) { return so.sockatmark(); }); })
      .def_property_readonly("family", [](Socket& s) { return s.get().family(); })
      .def_property_readonly("type", [](Socket& s) { return s.get().type(); })
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__",
           [](Socket& s, const py::args&) { s.call([](usocket::socket& so) { so.close(); }); })
      .def("__repr__", [](Socket& s) {
        return std::string("<ustack socket ") + (s.s && !s.s->closed() ? "open" : "closed") + ">";
      });

  py::class_<Poller>(m, "poll")
      .def(py::init<>())
      .def(
          "register",
          [](Poller& p, const py::object& obj, int mask) {
            p.register_(as_socket(obj), obj, mask);
          },
          py::arg("obj"), py::arg("eventmask") = static_cast<int>(POLLIN | POLLOUT))
      .def("modify",
           [](Poller& p, const py::object& obj, int mask) {
             Socket& s = as_socket(obj);
             if (!p.net) throw OSError(ENOENT);
             run(*p.net, [&] { p.get().modify(s.get(), mask); });
           })
      .def("unregister",
           [](Poller& p, const py::object& obj) {
             Socket& s = as_socket(obj);
             if (!p.net || !s.s) return;  // idempotent (MicroPython)
             run(*p.net, [&] { p.get().unregister(s.get()); });
             p.objects.erase(&*s.s);
           })
      .def(
          "poll", [](Poller& p, std::optional<double> t) { return p.poll(t, false, 0); },
          py::arg("timeout") = -1)
      .def(
          "ipoll",
          [](Poller& p, std::optional<double> t, int flags) {
            return py::iter(p.poll(t, true, flags));
          },
          py::arg("timeout") = -1, py::arg("flags") = 0);

  m.def(
      "getaddrinfo",
      [](const py::object& host, const py::object& port, int af, int type, int proto, int flags) {
        if (!host.is_none() && !py::isinstance<py::str>(host) && !py::isinstance<py::bytes>(host)) {
          throw py::type_error("getaddrinfo() argument 1 must be string or None");
        }
        std::string h = host.is_none() ? "" : host.cast<std::string>();
        std::string p = port.is_none() ? "" : std::string(py::str(port));
        if (!port.is_none() && !py::isinstance<py::int_>(port) && !py::isinstance<py::str>(port)) {
          throw py::type_error("Int or String expected");
        }
        auto ask = [&](const usocket::Network* n) {
          return n ? usocket::getaddrinfo(*n, h, p, af, type, proto, flags)
                   : usocket::getaddrinfo(h, p, af, type, proto, flags);
        };
        std::vector<usocket::addrinfo> ai;
        if (g_default && g_default->net) {
          ai = run(*g_default, [&] { return ask(&*g_default->net); });
        } else {
          ai = ask(nullptr);  // numeric hosts need no network
        }
        py::list out;
        for (const auto& a : ai) {
          out.append(py::make_tuple(a.family, a.type, a.proto, a.canonname, to_tuple(a.addr)));
        }
        return out;
      },
      py::arg("host"), py::arg("port"), py::arg("af") = 0, py::arg("type") = 0,
      py::arg("proto") = 0, py::arg("flags") = 0);
  m.def("inet_pton", [](int af, const py::object& text) {
    if (!py::isinstance<py::str>(text)) {  // CPython's words
      throw py::type_error("inet_pton() argument 2 must be str, not " +
                           std::string(py::str(text.get_type().attr("__name__"))));
    }
    return py::bytes(usocket::inet_pton(af, text.cast<std::string>()));
  });
  m.def("inet_ntop",
        [](int af, const py::buffer& b) { return usocket::inet_ntop(af, Data(b).view()); });

  // The Linux constants, as usocket.h and uselect.h use them.
#define CONST(name) m.attr(#name) = static_cast<int>(name)
  CONST(AF_UNSPEC);
  CONST(AF_INET);
  CONST(AF_INET6);
  CONST(SOCK_STREAM);
  CONST(SOCK_DGRAM);
  CONST(IPPROTO_IP);
  CONST(IPPROTO_IPV6);
  CONST(IPPROTO_TCP);
  CONST(IPPROTO_UDP);
  CONST(SOL_SOCKET);
  CONST(SO_REUSEADDR);
  CONST(SO_REUSEPORT);
  CONST(SO_BROADCAST);
  CONST(SO_KEEPALIVE);
  CONST(SO_RCVBUF);
  CONST(SO_SNDBUF);
  CONST(SO_OOBINLINE);
  CONST(SO_ERROR);
  CONST(SO_TYPE);
  CONST(TCP_NODELAY);
  CONST(TCP_KEEPIDLE);
  CONST(TCP_KEEPINTVL);
  CONST(TCP_KEEPCNT);
  CONST(TCP_MAXSEG);
  CONST(TCP_CONGESTION);
  CONST(IP_ADD_MEMBERSHIP);
  CONST(IP_DROP_MEMBERSHIP);
  CONST(IPV6_JOIN_GROUP);
  CONST(IPV6_LEAVE_GROUP);
  CONST(MSG_OOB);
  CONST(SHUT_RD);
  CONST(SHUT_WR);
  CONST(SHUT_RDWR);
  CONST(AI_PASSIVE);
  CONST(AI_CANONNAME);
  CONST(AI_NUMERICHOST);
  CONST(AI_NUMERICSERV);
  CONST(AI_ADDRCONFIG);
  CONST(POLLIN);
  CONST(POLLPRI);
  CONST(POLLOUT);
  CONST(POLLERR);
  CONST(POLLHUP);
  CONST(POLLNVAL);
#undef CONST
}
