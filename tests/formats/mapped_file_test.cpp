// map_file and read_json_file refuse what is not a regular file, or too large, before reading:
// a FIFO must not block, a huge sparse file must not be paged in.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <functional>
#include <future>
#include <string>

#include <gtest/gtest.h>

#include "formats/error.h"
#include "formats/json_file.h"
#include "formats/mapped_file.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

constexpr off_t kSparseBytes = off_t{3} << 30;  // 3 GiB of holes: no disk space, no data

std::string sparse_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  EXPECT_GE(fd, 0) << std::strerror(errno);
  EXPECT_EQ(::ftruncate(fd, kSparseBytes), 0) << std::strerror(errno);
  ::close(fd);
  return path;
}

// The error `read` throws within 5 s; a read that blocks longer fails the test (and is then
// released by opening the FIFO's other end).
std::string error_within_seconds(const std::function<void()>& read, const std::string& fifo = "") {
  auto result = std::async(std::launch::async, [&]() -> std::string {
    try {
      read();
    } catch (const Error& e) {
      return e.what();
    }
    return "(no error)";
  });
  if (result.wait_for(std::chrono::seconds(5)) == std::future_status::timeout) {
    ADD_FAILURE() << "the read blocked";
    if (!fifo.empty()) ::close(::open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  }
  return result.get();
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(MappedFile, AFifoIsRefusedWithoutWaitingForAWriter) {
  const std::string fifo = test::scratch_dir("fifo") + "/weights.safetensors";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  EXPECT_EQ(error_within_seconds([&] { map_file(fifo); }, fifo), fifo + ": is not a regular file");
  EXPECT_EQ(error_within_seconds([&] { read_json_file(fifo); }, fifo), fifo + ": is not a regular file");
}

TEST(MappedFile, ADeviceIsRefused) {
  const std::string zero = test::scratch_dir("device") + "/zero";  // a private /dev/zero
  ASSERT_EQ(::mknod(zero.c_str(), S_IFCHR | 0666, makedev(1, 5)), 0) << std::strerror(errno);
  EXPECT_EQ(error_within_seconds([&] { map_file(zero); }), zero + ": is not a regular file");
}

TEST(MappedFile, AHugeSparseJsonFileIsRefusedBeforeItIsRead) {
  const std::string path = sparse_file(test::scratch_dir("sparse") + "/config.json");
  const auto start = std::chrono::steady_clock::now();
  const std::string error = error_within_seconds([&] { read_json_file(path); });
  const double took = seconds_since(start);
  EXPECT_EQ(error, path + ": file of " + std::to_string(kSparseBytes) + " bytes exceeds the limit of " +
                       std::to_string(kMaxJsonFileBytes));
  EXPECT_LT(took, 0.2) << "the file was read before its size was checked";
}

TEST(MappedFile, TheSizeLimitIsCheckedBeforeMapping) {
  const std::string path = sparse_file(test::scratch_dir("limit") + "/big.bin");
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(error_within_seconds([&] { map_file(path, MapPages::Populate, 1000); }),
            path + ": file of " + std::to_string(kSparseBytes) + " bytes exceeds the limit of 1000");
  EXPECT_LT(seconds_since(start), 0.2);
  EXPECT_EQ(map_file(path, MapPages::OnDemand, kSparseBytes).size, static_cast<size_t>(kSparseBytes));
}

}  // namespace
}  // namespace vit
