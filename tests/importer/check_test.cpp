// vitimport --check: every fixture is clean; hostile checkpoints are suspicious and name what is
// wrong (the refused global, the NaN tensor, the overlapping views); unreadable files exit 2.
#include <algorithm>
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "formats/error.h"
#include "formats/mapped_file.h"
#include "importer/checkpoint_check.h"
#include "test_support/shared_data.h"

namespace vit {
namespace {

std::string hostile(const std::string& name) {
  return test::test_data("importer") + "/hostile/" + name;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) out += line + "\n";
  return out;
}

int run_check(const std::string& path, std::string* output) {
  return test::run_command(test::tool_path("vitimport") + " --check '" + path + "'", output);
}

TEST(Check, FixturesAreClean) {
  VIT_REQUIRE_SHARED();
  struct Case {
    const char* path;
    const char* format;
    size_t tensors;
  };
  const Case cases[] = {
      {"vit_classifier", "torch.save zip", 32},
      {"legacy_format", "torch.save legacy", 32},
      {"vit_bf16", "torch.save zip", 32},
      {"noncontiguous", "torch.save zip", 0},
      {"vit_tiny_real/pytorch_model.bin", "torch.save zip", 152},
      {"train_checkpoint/model_best.pth.tar", "torch.save zip", 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.path);
    const CheckReport r = check_checkpoint(test::fixture(c.path));
    EXPECT_TRUE(r.clean()) << joined(r.suspicious);
    EXPECT_EQ(r.format, c.format);
    EXPECT_GT(r.tensor_count, 0u);
    if (c.tensors) {
      EXPECT_EQ(r.tensor_count, c.tensors);
    }
    EXPECT_LE(r.tensor_bytes, r.file_bytes);
    EXPECT_FALSE(r.top_level_keys.empty());
  }
}

TEST(Check, TrainingCheckpointShowsItsStructure) {
  VIT_REQUIRE_SHARED();
  const CheckReport r = check_checkpoint(test::fixture("train_checkpoint/model_best.pth.tar"));
  const std::string structure = joined(r.structure);
  for (const char* key : {"epoch", "arch", "optimizer", "args", "state_dict", "state_dict_ema"})
    EXPECT_NE(std::find(r.top_level_keys.begin(), r.top_level_keys.end(), key), r.top_level_keys.end()) << key;
  EXPECT_NE(structure.find("args: object argparse.Namespace"), std::string::npos) << structure;
  EXPECT_NE(structure.find("arch: str \"vit_tiny_patch16_224\""), std::string::npos) << structure;
  EXPECT_GE(r.tensor_count, 64u);  // the model, its EMA and the optimizer's moments
}

TEST(Check, ToolExitsZeroForACleanFolder) {
  VIT_REQUIRE_SHARED();
  std::string out;
  EXPECT_EQ(run_check(test::fixture("vit_classifier"), &out), 0) << out;
  EXPECT_NE(out.find("format: torch.save zip"), std::string::npos) << out;
  EXPECT_NE(out.find("tensors: 32 (F32 32)"), std::string::npos) << out;
  EXPECT_NE(out.find("verdict: clean"), std::string::npos) << out;
}

TEST(Check, HostilePicklesAreSuspiciousNamingTheGlobal) {
  struct Case {
    const char* file;
    const char* global;
  };
  const Case cases[] = {
      {"global_reduce_os_system.pt", "os.system"},           {"global_reduce_posix_system.pt", "posix.system"},
      {"global_reduce_builtins_exec.pt", "builtins.exec"},   {"global_reduce_runpy.pt", "runpy._run_code"},
      {"global_reduce_torch_load.pt", "torch.load"},         {"stack_global_popen.pt", "subprocess.Popen"},
      {"inst_os_system.pt", "os.system"},                    {"obj_posix_system.pt", "posix.system"},
      {"newobj_ex_popen.pt", "subprocess.Popen"},            {"build_setstate_os_system.pt", "os.system"},
      {"legacy_global_reduce_posix_system.pt", "posix.system"},
      {"top_level_global_reduce_posix_system.pt", "posix.system"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.file);
    const CheckReport r = check_checkpoint(hostile(c.file));
    ASSERT_FALSE(r.clean());
    EXPECT_NE(joined(r.suspicious).find(std::string("\"") + c.global + "\""), std::string::npos) << joined(r.suspicious);
    std::string out;
    EXPECT_EQ(run_check(hostile(c.file), &out), 4) << out;
    EXPECT_NE(out.find(c.global), std::string::npos) << out;
    EXPECT_NE(out.find("verdict: suspicious"), std::string::npos) << out;
  }
}

TEST(Check, FormatsEngineersHostileCheckpointsAreSuspicious) {
  const std::string data = test::test_data("formats") + "/";
  for (const char* file : {"hostile_checkpoint_os_system.pt", "hostile_legacy_os_system.pt"}) {
    SCOPED_TRACE(file);
    const CheckReport r = check_checkpoint(data + file);
    EXPECT_NE(joined(r.suspicious).find("posix.system"), std::string::npos) << joined(r.suspicious);
  }
}

TEST(Check, NonFiniteWeightsAreSuspicious) {
  for (const char* file : {"st_tiny_vit_nan.safetensors", "st_tiny_vit_inf.safetensors"}) {
    SCOPED_TRACE(file);
    const CheckReport r = check_checkpoint(hostile(file));
    EXPECT_EQ(r.format, "safetensors");
    EXPECT_EQ(r.tensor_count, 20u);
    EXPECT_EQ(joined(r.suspicious), "tensor \"patch_embed.proj.weight\" has 384 NaN/Inf values\n");
  }
  EXPECT_TRUE(check_checkpoint(hostile("st_tiny_vit_clean.safetensors")).clean());
}

TEST(Check, OverlappingAndRepeatingViewsAreSuspiciousTiedOnesAreNot) {
  const CheckReport overlap = check_checkpoint(hostile("overlapping_views.pt"));
  EXPECT_EQ(joined(overlap.suspicious), "tensors \"a\" and \"b\" overlap in one storage\n");

  const CheckReport tied = check_checkpoint(hostile("tied_views.pt"));
  EXPECT_TRUE(tied.clean()) << joined(tied.suspicious);
  EXPECT_NE(joined(tied.structure).find("b: the same data as \"a\""), std::string::npos);

  // A broadcast is only noted; declaring more than the file holds is suspicious (identical
  // views count once: 532 MiB of the 2 GiB the names add up to).
  const CheckReport stride0 = check_checkpoint(hostile("stride0_vit_2gib.pt"));
  EXPECT_EQ(stride0.suspicious.back(), "tensors declare 532.1 MiB, more than the file's 10.9 KiB");
  EXPECT_NE(joined(stride0.suspicious).find("... and 1 more overlapping tensor pairs"), std::string::npos);
  const std::string notes = joined(stride0.structure);
  EXPECT_NE(notes.find("blocks.0.mlp.fc1.weight: [65536, 1024] repeats 1 stored element"), std::string::npos) << notes;
  EXPECT_NE(notes.find("more repeating views"), std::string::npos) << notes;  // 10 lines, then a count
}

TEST(Check, SharedValuesAreWalkedOnce) {
  // 2^60 paths through 61 shared lists, and 600 names for one view: both finish at once.
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(check_checkpoint(hostile("billion_laughs.pt")).clean());
  const CheckReport views = check_checkpoint(hostile("many_views.pt"));
  EXPECT_TRUE(views.clean());
  EXPECT_EQ(views.tensor_count, 600u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(Check, UnreadableFilesExitTwo) {
  EXPECT_THROW(check_checkpoint(hostile("zip_truncated.pt")), Error);
  EXPECT_THROW(check_checkpoint(hostile("st_header_length_2p63.safetensors")), Error);
  std::string out;
  EXPECT_EQ(run_check(hostile("zip_duplicate_data_pkl.pt"), &out), 2) << out;
  EXPECT_NE(out.find("duplicate entry name"), std::string::npos) << out;
  // A refused global that also breaks the structure: the error names the global.
  EXPECT_EQ(run_check(hostile("rebuild_args_os_system.pt"), &out), 2) << out;
  EXPECT_NE(out.find("refused global 'os.system'"), std::string::npos) << out;
  EXPECT_EQ(run_check(hostile("no_such_file.pt"), &out), 2) << out;
}

TEST(Check, BytesAndPathAgree) {
  const std::string path = hostile("st_tiny_vit_nan.safetensors");
  const CheckReport a = check_checkpoint(path);
  const CheckReport b = check_checkpoint_bytes(map_file(path), "memory");
  EXPECT_EQ(a.suspicious, b.suspicious);
  EXPECT_EQ(a.tensor_count, b.tensor_count);
  EXPECT_EQ(a.top_level_keys, b.top_level_keys);
}

}  // namespace
}  // namespace vit
