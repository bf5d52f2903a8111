// expected.h: cryptoki::expected<T, E>, the result type of every fallible
// call. It is std::expected where the standard library has it (C++23), else a
// small compatible subset: has_value, value, error, operator*, operator->,
// value_or, and expected<void, E>.
#ifndef CRYPTOKI_EXPECTED_H_
#define CRYPTOKI_EXPECTED_H_

#include <version>

#if defined(__cpp_lib_expected) && __cpp_lib_expected >= 202202L
#include <expected>
namespace cryptoki {
using std::expected;
using std::unexpected;
}  // namespace cryptoki
#else

#include <cstdlib>
#include <type_traits>
#include <utility>
#include <variant>

namespace cryptoki {

// unexpected wraps an error value so it can be returned as an expected.
template <class E>
class unexpected {
 public:
  constexpr explicit unexpected(E e) : error_(std::move(e)) {}
  constexpr const E& error() const& noexcept { return error_; }
  constexpr E& error() & noexcept { return error_; }

 private:
  E error_;
};

template <class E>
unexpected(E) -> unexpected<E>;

// expected holds either a T or an error E. Reading the value of an error (or
// the error of a value) aborts: the library is built without exceptions at
// its boundaries, and such a read is a programming error.
template <class T, class E>
class [[nodiscard]] expected {
 public:
  using value_type = T;
  using error_type = E;

  constexpr expected() requires std::is_default_constructible_v<T> : v_(std::in_place_index<0>) {}
  template <class U = T>
  requires(std::is_constructible_v<T, U&&> && !std::is_same_v<std::remove_cvref_t<U>, expected> &&
           !std::is_same_v<std::remove_cvref_t<U>, unexpected<E> >) constexpr expected(U&& v)
      : v_(std::in_place_index<0>, std::forward<U>(v)) {}
  template <class G>
  constexpr expected(const unexpected<G>& u) : v_(std::in_place_index<1>, u.error()) {}
  template <class G>
  constexpr expected(unexpected<G>&& u) : v_(std::in_place_index<1>, std::move(u.error())) {}

  constexpr bool has_value() const noexcept { return v_.index() == 0; }
  constexpr explicit operator bool() const noexcept { return has_value(); }

  constexpr T& value() & { return check(), *std::get_if<0>(&v_); }
  constexpr const T& value() const& { return check(), *std::get_if<0>(&v_); }
  constexpr T&& value() && { return check(), std::move(*std::get_if<0>(&v_)); }
  constexpr T& operator*() & { return value(); }
  constexpr const T& operator*() const& { return value(); }
  constexpr T&& operator*() && { return std::move(*this).value(); }
  constexpr T* operator->() { return &value(); }
  constexpr const T* operator->() const { return &value(); }

  constexpr const E& error() const& {
    if (has_value()) std::abort();
    return *std::get_if<1>(&v_);
  }

  template <class U>
  constexpr T value_or(U&& other) const& {
    return has_value() ? *std::get_if<0>(&v_) : static_cast<T>(std::forward<U>(other));
  }

 private:
  constexpr void check() const {
    if (!has_value()) std::abort();
  }
  std::variant<T, E> v_;
};

template <class E>
class [[nodiscard]] expected<void, E> {
 public:
  using value_type = void;
  using error_type = E;

  constexpr expected() noexcept : has_(true), e_() {}
  template <class G>
  constexpr expected(const unexpected<G>& u) : has_(false), e_(u.error()) {}

  constexpr bool has_value() const noexcept { return has_; }
  constexpr explicit operator bool() const noexcept { return has_; }
  constexpr void value() const {
    if (!has_) std::abort();
  }
  constexpr void operator*() const noexcept {}
  constexpr const E& error() const& {
    if (has_) std::abort();
    return e_;
  }

 private:
  bool has_;
  E e_;
};

}  // namespace cryptoki

#endif
#endif  // CRYPTOKI_EXPECTED_H_
