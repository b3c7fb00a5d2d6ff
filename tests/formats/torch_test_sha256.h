// SHA-256 (FIPS 180-4) for checking loaded weights against the fixtures' meta.json digests.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace vit::test {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  void update(const std::string& s) { update(s.data(), s.size()); }
  std::string hex_digest();  // finishes the hash

 private:
  void block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t total_ = 0;
};

}  // namespace vit::test
