// Failure atomicity: vitimport killed with SIGKILL at any moment leaves the target folder either
// absent or complete and loadable, never partial. Only hidden ".<name>.tmp-*" folders may be
// left beside it, and the next import still succeeds.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "engine/image/preprocessor_config.h"
#include "engine/model/model_folder.h"
#include "formats/error.h"
#include "test_support/shared_data.h"

namespace fs = std::filesystem;

namespace vit {
namespace {

constexpr int kRuns = 20;

// Starts vitimport with its output silenced; returns the child's pid.
pid_t start_import(const std::string& checkpoint, const std::string& out, bool overwrite) {
  const std::string tool = test::tool_path("vitimport");
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int null = open("/dev/null", O_WRONLY);
    if (null < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0) _exit(127);
    std::vector<const char*> argv = {tool.c_str(), "--checkpoint", checkpoint.c_str(), "--out", out.c_str()};
    if (overwrite) argv.push_back("--overwrite");
    argv.push_back(nullptr);
    execv(tool.c_str(), const_cast<char* const*>(argv.data()));
    _exit(127);
  }
  return pid;
}

int exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status); }

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return exit_code(status);
}

// SIGKILL after `delay` seconds unless the child has finished by then.
int kill_after(pid_t pid, double delay) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(delay);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid) return exit_code(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  kill(pid, SIGKILL);
  return wait_exit(pid);
}

// Absent, or a complete folder that the engine loads. Returns "absent" or "complete".
std::string expect_absent_or_complete(const std::string& target) {
  if (!fs::exists(target)) return "absent";
  EXPECT_TRUE(fs::is_directory(target));
  for (const char* file : {kConfigFile, kWeightsFile, kPreprocessorFile})
    EXPECT_TRUE(fs::is_regular_file(fs::path(target) / file)) << target << " lacks " << file;
  try {
    const VitModel model = load_model(target);
    EXPECT_EQ(model.config().num_layers, 12);
  } catch (const Error& e) {
    ADD_FAILURE() << "a partial folder was left in place: " << e.what();
  }
  return "complete";
}

// Beside the target only hidden temporary folders may remain.
void expect_only_hidden_leftovers(const std::string& parent, const std::string& name) {
  for (const auto& entry : fs::directory_iterator(parent)) {
    const std::string f = entry.path().filename().string();
    if (f == name) continue;
    EXPECT_EQ(f.rfind("." + name + ".tmp-", 0), 0u) << "unexpected leftover " << f;
    EXPECT_TRUE(entry.is_directory()) << f;
  }
}

TEST(KillImport, SigkillAtRandomMomentsNeverLeavesAPartialFolder) {
  VIT_REQUIRE_SHARED();
  const std::string checkpoint = test::fixture("vit_tiny_real");  // 23 MB, 12 layers
  const std::string parent = test::scratch_dir("kill");
  const std::string target = parent + "/model";

  // One uninterrupted import sets the time scale for the kills.
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(wait_exit(start_import(checkpoint, target, false)), 0);
  const double full = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  ASSERT_EQ(expect_absent_or_complete(target), "complete");

  // A complete folder kept elsewhere, put in place before each --overwrite run.
  const std::string reference = test::scratch_dir("kill_reference") + "/model";
  fs::copy(target, reference, fs::copy_options::recursive);

  std::mt19937 rng(20240611);
  std::map<std::string, int> outcomes;
  for (int run = 0; run < kRuns; ++run) {
    // Stratified delays: run k dies somewhere in [k, k+1) / kRuns of 1.3x the full import, so
    // the kills cover reading, converting, verifying, writing and the renames at the end.
    const double delay = 1.3 * full * (run + std::uniform_real_distribution<double>(0, 1)(rng)) / kRuns;
    const bool overwrite = run % 2 == 1;  // odd runs replace a complete folder
    fs::remove_all(target);
    if (overwrite) fs::copy(reference, target, fs::copy_options::recursive);
    const int status = kill_after(start_import(checkpoint, target, overwrite), delay);
    SCOPED_TRACE("run " + std::to_string(run) + ", killed after " + std::to_string(delay) + " s, exit " +
                 std::to_string(status));
    EXPECT_TRUE(status == -SIGKILL || status == 0) << status;
    outcomes[expect_absent_or_complete(target)]++;
    expect_only_hidden_leftovers(parent, "model");
  }
  std::printf("import %.2f s; after %d kills: %d absent, %d complete\n", full, kRuns, outcomes["absent"],
              outcomes["complete"]);

  // Leftover temporary folders do not get in the way of the next import.
  ASSERT_EQ(wait_exit(start_import(checkpoint, target, true)), 0);
  EXPECT_EQ(expect_absent_or_complete(target), "complete");
  fs::remove_all(parent);
  fs::remove_all(fs::path(reference).parent_path());
}

}  // namespace
}  // namespace vit
