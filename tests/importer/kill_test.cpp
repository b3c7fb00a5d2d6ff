// Failure atomicity: vitimport killed with SIGKILL at any moment leaves the target folder either
// absent (a fresh import) or complete and loadable; with --overwrite, always the old or the new
// complete folder. Only hidden ".<name>.tmp-*" folders may be left beside it, and the next
// import still succeeds. Random kill moments cover the whole run; a traced run kills at each
// rename, where a non-atomic replacement would show.
#include <fcntl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
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

constexpr int kRuns = 24;
// Marks the folder an --overwrite run replaces, so the outcome tells old from new.
constexpr const char* kOldMarker = "old_folder_marker";

// Starts vitimport with its output silenced; returns the child's pid. `traced`: the child
// stops itself under ptrace before running the tool.
pid_t start_import(const std::string& checkpoint, const std::string& out, bool overwrite, bool traced = false) {
  const std::string tool = test::tool_path("vitimport");
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    if (traced && (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0 || raise(SIGSTOP) != 0)) _exit(127);
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

// Absent, or a complete folder that the engine loads. Returns "absent", "old" (the folder that
// carries kOldMarker) or "new".
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
  return fs::exists(fs::path(target) / kOldMarker) ? "old" : "new";
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

// A copy of the complete folder `model`, marked as the old one, in a scratch folder of its own.
std::string old_folder_from(const std::string& model) {
  const std::string old = test::scratch_dir("kill_reference") + "/model";
  fs::copy(model, old, fs::copy_options::recursive);
  std::FILE* marker = std::fopen((fs::path(old) / kOldMarker).c_str(), "w");
  if (marker) std::fclose(marker);
  return old;
}

bool is_rename(long nr) {
#ifdef SYS_rename
  if (nr == SYS_rename) return true;
#endif
  return nr == SYS_renameat || nr == SYS_renameat2;
}

// Runs vitimport --overwrite with its main thread (the one that writes and renames) under
// ptrace and SIGKILLs it at its `kill_at`-th rename stop, counting each rename's entry and exit
// (odd: before that rename happens, even: right after it); 0 lets it finish. Returns how many
// rename stops it passed and sets *status to its exit code (-SIGKILL when killed).
int run_killed_at_rename(const std::string& checkpoint, const std::string& target, int kill_at, int* status) {
  const pid_t pid = start_import(checkpoint, target, true, /*traced=*/true);
  int wait_status = 0;
  waitpid(pid, &wait_status, 0);  // the child's own SIGSTOP
  ptrace(PTRACE_SETOPTIONS, pid, nullptr, PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL);
  int stops = 0, signal = 0;
  bool in_rename = false;
  while (ptrace(PTRACE_SYSCALL, pid, nullptr, signal) == 0 && waitpid(pid, &wait_status, 0) == pid &&
         WIFSTOPPED(wait_status)) {
    signal = 0;
    if (WSTOPSIG(wait_status) != (SIGTRAP | 0x80)) {
      // An exec event, or a signal for the tool that it must still get.
      if (wait_status >> 16 == 0 && WSTOPSIG(wait_status) != SIGTRAP) signal = WSTOPSIG(wait_status);
      continue;
    }
    __ptrace_syscall_info info{};
    ptrace(PTRACE_GET_SYSCALL_INFO, pid, sizeof info, &info);
    const bool rename_entry = info.op == PTRACE_SYSCALL_INFO_ENTRY && is_rename(static_cast<long>(info.entry.nr));
    const bool rename_exit = info.op == PTRACE_SYSCALL_INFO_EXIT && in_rename;
    if (!rename_entry && !rename_exit) continue;
    in_rename = rename_entry;
    if (++stops == kill_at) {
      kill(pid, SIGKILL);
      waitpid(pid, &wait_status, 0);
      break;
    }
  }
  *status = exit_code(wait_status);
  return stops;
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
  ASSERT_EQ(expect_absent_or_complete(target), "new");

  // A complete folder kept elsewhere, put in place before each --overwrite run.
  const std::string reference = old_folder_from(target);

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
    const std::string outcome = expect_absent_or_complete(target);
    if (overwrite) EXPECT_NE(outcome, "absent") << "--overwrite left no folder";
    else EXPECT_NE(outcome, "old");
    outcomes[outcome]++;
    expect_only_hidden_leftovers(parent, "model");
  }
  std::printf("import %.2f s; after %d kills: %d absent, %d old, %d new\n", full, kRuns, outcomes["absent"],
              outcomes["old"], outcomes["new"]);

  // Leftover temporary folders do not get in the way of the next import.
  ASSERT_EQ(wait_exit(start_import(checkpoint, target, true)), 0);
  EXPECT_EQ(expect_absent_or_complete(target), "new");
  fs::remove_all(parent);
  fs::remove_all(fs::path(reference).parent_path());
}

TEST(KillImport, OverwriteKilledAtEachRenameLeavesTheOldOrTheNewFolder) {
  VIT_REQUIRE_SHARED();
  const std::string checkpoint = test::fixture("vit_tiny_real");
  const std::string parent = test::scratch_dir("rename");
  const std::string target = parent + "/model";
  ASSERT_EQ(wait_exit(start_import(checkpoint, target, false)), 0);
  const std::string old = old_folder_from(target);

  auto put_old_in_place = [&] {
    fs::remove_all(target);
    fs::copy(old, target, fs::copy_options::recursive);
  };
  put_old_in_place();
  int status = 0;
  const int stops = run_killed_at_rename(checkpoint, target, 0, &status);
  ASSERT_EQ(status, 0);
  ASSERT_GE(stops, 2) << "no rename seen: the trace did not work";
  ASSERT_EQ(expect_absent_or_complete(target), "new");

  std::map<std::string, int> outcomes;
  for (int kill_at = 1; kill_at <= stops; ++kill_at) {
    put_old_in_place();
    run_killed_at_rename(checkpoint, target, kill_at, &status);
    SCOPED_TRACE("killed at rename stop " + std::to_string(kill_at) + " of " + std::to_string(stops));
    EXPECT_EQ(status, -SIGKILL);
    const std::string outcome = expect_absent_or_complete(target);
    EXPECT_NE(outcome, "absent") << "--overwrite left no folder";
    outcomes[outcome]++;
    expect_only_hidden_leftovers(parent, "model");
  }
  // Killed right after the last rename, the new folder is already in place.
  EXPECT_GE(outcomes["new"], 1);
  std::printf("%d rename stops: %d old, %d new, %d absent\n", stops, outcomes["old"], outcomes["new"],
              outcomes["absent"]);
  fs::remove_all(parent);
  fs::remove_all(fs::path(old).parent_path());
}

}  // namespace
}  // namespace vit
