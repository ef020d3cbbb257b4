// FunctionRef<R(Args...)>: a non-owning reference to a callable (like C++26 std::function_ref).
//
// Used for callbacks on the packet path (Device::transmit's fill function) where
// std::function's possible allocation is not acceptable. The referenced callable must outlive
// the call it is passed to.
#pragma once

#include <type_traits>
#include <utility>

namespace ustack {

template <typename Sig>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef>>>
  FunctionRef(F&& f)  // NOLINT: implicit by design, like std::function
      : obj_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* o, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(o))(std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(obj_, std::forward<Args>(args)...); }

 private:
  void* obj_;
  R (*call_)(void*, Args...);
};

}  // namespace ustack
