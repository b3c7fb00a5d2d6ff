// write_file_atomically replaces only regular files: devices, FIFOs and standard output are
// written through, and a symbolic link is followed, never replaced.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "formats/atomic_file.h"
#include "formats/error.h"
#include "test_support/shared_data.h"

namespace fs = std::filesystem;

namespace vit {
namespace {

mode_t file_type(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path << ": " << std::strerror(errno);
  return st.st_mode & S_IFMT;
}

std::string read_fd(int fd) {
  std::string text;
  char buffer[4096];
  ssize_t n;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(n));
  return text;
}

// Nothing but `keep` is left in `dir` (no temporary files).
void expect_only(const std::string& dir, const std::set<std::string>& keep) {
  for (const auto& entry : fs::directory_iterator(dir))
    EXPECT_TRUE(keep.count(entry.path().filename().string())) << "leftover " << entry.path();
}

TEST(AtomicFile, RegularFileIsReplacedWholeAndNewPathCreated) {
  const std::string dir = test::scratch_dir("regular");
  write_file_atomically(dir + "/a.txt", "first");
  write_file_atomically(dir + "/a.txt", "second");
  EXPECT_EQ(test::read_text(dir + "/a.txt"), "second");
  EXPECT_EQ(file_type(dir + "/a.txt"), static_cast<mode_t>(S_IFREG));
  expect_only(dir, {"a.txt"});
}

TEST(AtomicFile, CharacterDeviceIsWrittenThroughNotReplaced) {
  // A private copy of /dev/null (major 1, minor 3): the real one is never at risk.
  const std::string dir = test::scratch_dir("device");
  const std::string null = dir + "/null";
  ASSERT_EQ(::mknod(null.c_str(), S_IFCHR | 0666, makedev(1, 3)), 0) << std::strerror(errno);
  write_file_atomically(null, std::string(100000, 'x'));
  EXPECT_EQ(file_type(null), static_cast<mode_t>(S_IFCHR));
  struct stat st {};
  ASSERT_EQ(::stat(null.c_str(), &st), 0);
  EXPECT_EQ(st.st_rdev, makedev(1, 3));
  expect_only(dir, {"null"});
}

// Reads `wanted` bytes from a non-blocking FIFO read end, giving up after 10 s (so a writer
// that never opens the FIFO fails the test instead of hanging it).
std::string read_fifo(int fd, size_t wanted) {
  std::string text;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  char buffer[65536];
  while (text.size() < wanted && std::chrono::steady_clock::now() < deadline) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) text.append(buffer, static_cast<size_t>(n));
    else std::this_thread::sleep_for(std::chrono::milliseconds(1));  // no writer yet, or empty
  }
  return text;
}

TEST(AtomicFile, FifoIsWrittenThroughToItsReader) {
  const std::string dir = test::scratch_dir("fifo");
  const std::string fifo = dir + "/pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  // Opened before the writer, so the writer's open finds a reader and does not block.
  const int read_end = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_GE(read_end, 0) << std::strerror(errno);
  const std::string sent(300000, 'y');  // more than a pipe buffer
  std::string received;
  std::thread reader([&] { received = read_fifo(read_end, sent.size()); });
  write_file_atomically(fifo, sent);
  reader.join();
  ::close(read_end);
  EXPECT_EQ(received, sent);
  EXPECT_EQ(file_type(fifo), static_cast<mode_t>(S_IFIFO));
  expect_only(dir, {"pipe"});
}

TEST(AtomicFile, SymlinkIsFollowedAndKept) {
  const std::string dir = test::scratch_dir("symlink");
  fs::create_directories(dir + "/real");
  write_file_atomically(dir + "/real/target.txt", "old");
  fs::create_symlink("real/target.txt", dir + "/link");
  write_file_atomically(dir + "/link", "new");
  EXPECT_EQ(file_type(dir + "/link"), static_cast<mode_t>(S_IFLNK));
  EXPECT_EQ(fs::read_symlink(dir + "/link"), fs::path("real/target.txt"));
  EXPECT_EQ(test::read_text(dir + "/real/target.txt"), "new");
  expect_only(dir, {"real", "link"});
  expect_only(dir + "/real", {"target.txt"});

  // A link to a device is written through as well.
  ASSERT_EQ(::mknod((dir + "/null").c_str(), S_IFCHR | 0666, makedev(1, 3)), 0) << std::strerror(errno);
  fs::create_symlink("null", dir + "/null_link");
  write_file_atomically(dir + "/null_link", "gone");
  EXPECT_EQ(file_type(dir + "/null"), static_cast<mode_t>(S_IFCHR));
  EXPECT_EQ(file_type(dir + "/null_link"), static_cast<mode_t>(S_IFLNK));
}

TEST(AtomicFile, DanglingSymlinkAndFolderAreRefused) {
  const std::string dir = test::scratch_dir("refused");
  fs::create_symlink("nowhere/file", dir + "/dangling");
  EXPECT_THROW(write_file_atomically(dir + "/dangling", "x"), Error);
  EXPECT_EQ(file_type(dir + "/dangling"), static_cast<mode_t>(S_IFLNK));
  fs::create_directories(dir + "/folder");
  EXPECT_THROW(write_file_atomically(dir + "/folder", "x"), Error);
  EXPECT_TRUE(fs::is_directory(dir + "/folder"));
  expect_only(dir, {"dangling", "folder"});
}

TEST(AtomicFile, DashIsStandardOutput) {
  const std::string dir = test::scratch_dir("stdout");
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const int saved = ::dup(STDOUT_FILENO);
  ASSERT_GE(::dup2(pipe_fds[1], STDOUT_FILENO), 0);
  ::close(pipe_fds[1]);
  write_file_atomically("-", "to stdout");
  ::dup2(saved, STDOUT_FILENO);  // closes the pipe's last write end
  ::close(saved);
  EXPECT_EQ(read_fd(pipe_fds[0]), "to stdout");
  ::close(pipe_fds[0]);
  EXPECT_FALSE(fs::exists("-"));
  expect_only(dir, {});
}

}  // namespace
}  // namespace vit
