// A process killed while saving the packed cache leaves a "<cache>.tmp-<pid>-XXXXXX" file; the
// next save of that cache entry removes such files when their writer is gone or they are old,
// and nothing else.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "engine/model/model_folder.h"
#include "imported_model.h"
#include "test_support/shared_data.h"

namespace fs = std::filesystem;

namespace vit {
namespace {

// The pid of a process that has exited (and been reaped).
pid_t dead_pid() {
  const pid_t pid = fork();
  if (pid == 0) _exit(0);
  waitpid(pid, nullptr, 0);
  return pid;
}

std::string touch(const std::string& path, long age_seconds = 0) {
  std::ofstream(path) << "partial";
  const timespec when[2] = {{time(nullptr) - age_seconds, 0}, {time(nullptr) - age_seconds, 0}};
  EXPECT_EQ(::utimensat(AT_FDCWD, path.c_str(), when, 0), 0);
  return path;
}

TEST(PackedCacheTemp, StaleTempFilesOfTheEntryAreRemovedOnTheNextSave) {
  VIT_REQUIRE_SHARED();
  const std::string dir = test::import_to_scratch(test::fixture("vit_classifier"), "cache_temp");
  const std::string cache = test::scratch_dir("cache_temp_dir");
  load_model(dir, Precision::F32, cache);
  ASSERT_EQ(std::distance(fs::directory_iterator(cache), fs::directory_iterator()), 1);
  const std::string entry = fs::directory_iterator(cache)->path().string();
  const std::string dead = std::to_string(dead_pid()), alive = std::to_string(::getppid());

  const std::string dead_writer = touch(entry + ".tmp-" + dead + "-a1b2c3");
  const std::string old_live_writer = touch(entry + ".tmp-" + alive + "-d4e5f6", 2 * 3600);
  const std::string live_writer = touch(entry + ".tmp-" + alive + "-g7h8i9");        // still writing
  const std::string other_entry = touch(cache + "/other.safetensors.tmp-" + dead + "-j0k1l2");
  const std::string old_pidless = touch(entry + ".tmp-m3n4o5", 2 * 3600);           // written before pids
  const std::string fresh_pidless = touch(entry + ".tmp-p6q7r8");
  const std::string not_ours = touch(entry + ".tmp-notes.txt", 2 * 3600);

  fs::remove(entry);  // a miss: the next load saves the entry again
  EXPECT_FALSE(load_model(dir, Precision::F32, cache).packed_weights_from_cache());
  EXPECT_TRUE(fs::is_regular_file(entry));
  EXPECT_FALSE(fs::exists(dead_writer));
  EXPECT_FALSE(fs::exists(old_live_writer));
  EXPECT_TRUE(fs::exists(live_writer));
  EXPECT_FALSE(fs::exists(old_pidless));
  EXPECT_TRUE(fs::exists(fresh_pidless));
  EXPECT_TRUE(fs::exists(other_entry));
  EXPECT_TRUE(fs::exists(not_ours));
}

}  // namespace
}  // namespace vit
