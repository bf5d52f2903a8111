// bytes.h: byte containers. SecretBytes wipes its memory when freed; every
// attribute value and every PIN-derived key lives in one.
#ifndef CRYPTOKI_BYTES_H_
#define CRYPTOKI_BYTES_H_

#include <string.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace cryptoki {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

// WipingAllocator is std::allocator that zeroes memory before releasing it.
template <class T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() noexcept = default;
  template <class U>
  WipingAllocator(const WipingAllocator<U>&) noexcept {}
  T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept {
    explicit_bzero(p, n * sizeof(T));
    std::allocator<T>().deallocate(p, n);
  }
  template <class U>
  bool operator==(const WipingAllocator<U>&) const noexcept {
    return true;
  }
};

using SecretBytes = std::vector<uint8_t, WipingAllocator<uint8_t>>;

// AsBytes views the characters of |s| as bytes.
inline ByteView AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// AsStringView views |b| as characters.
inline std::string_view AsStringView(ByteView b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

inline bool Equal(ByteView a, ByteView b) {
  return a.size() == b.size() && (a.empty() || memcmp(a.data(), b.data(), a.size()) == 0);
}

}  // namespace cryptoki

#endif  // CRYPTOKI_BYTES_H_
