// Hostile pickles: code-execution attempts are refused naming the global and never run;
// deep nesting, cycles and memo/stack abuse give one-line errors, never a crash.
#include <chrono>
#include <filesystem>
#include <random>

#include <gtest/gtest.h>

#include "formats/error.h"
#include "formats/mapped_file.h"
#include "formats/pickle_reader.h"
#include "pickle_test_data.h"
#include "test_support/shared_data.h"

namespace fs = std::filesystem;

namespace vit {
namespace {

using test::binunicode;
using test::le32;

// A string literal with its embedded NULs.
template <size_t N>
std::string B(const char (&s)[N]) {
  return std::string(s, N - 1);
}

const char kMarker[] = "/tmp/vitcpp_hostile_marker";  // what the generated files would create

std::string error_of(const std::string& bytes, const PickleLimits& limits = {}) {
  try {
    read_pickle(test::view_of(bytes), "evil.pkl", limits);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

struct HostileFile {
  const char* file;
  const char* global;
};

const HostileFile kHostileFiles[] = {
    {"hostile_reduce_os_system_p0.pkl", "posix.system"},  // GLOBAL + REDUCE, protocol 0
    {"hostile_reduce_os_system_p2.pkl", "posix.system"},
    {"hostile_reduce_os_system_p4.pkl", "posix.system"},  // STACK_GLOBAL
    {"hostile_reduce_eval_p2.pkl", "builtins.eval"},      // spelled __builtin__.eval
    {"hostile_reduce_popen_p4.pkl", "subprocess.Popen"},
    {"hostile_nested_exec_p2.pkl", "builtins.exec"},
    {"hostile_inst_p0.pkl", "os.system"},                 // INST
    {"hostile_obj_p1.pkl", "posix.system"},               // OBJ
    {"hostile_newobj_ex_p4.pkl", "subprocess.Popen"},     // NEWOBJ_EX
    {"hostile_build_p2.pkl", "os.system"},                // BUILD state of an allowed class
    {"hostile_runpy_p2.pkl", "runpy._run_code"},
    {"hostile_torch_load_p2.pkl", "torch.load"},
};

TEST(HostilePickle, GeneratedAttacksAreRefusedNamingTheGlobalAndNeverRun) {
  fs::remove(kMarker);
  for (const HostileFile& h : kHostileFiles) {
    const std::string path = test::pickle_data(h.file);
    try {
      read_pickle(map_file(path), path);
      ADD_FAILURE() << h.file << " loaded";
    } catch (const Error& e) {
      EXPECT_EQ(std::string(e.what()),
                path + ": refused global '" + h.global + "' (not on the allow-list)");
    }
    EXPECT_FALSE(fs::exists(kMarker)) << h.file;
  }
}

TEST(HostilePickle, ScanModeRecordsRefusedGlobalsWithoutRunningThem) {
  fs::remove(kMarker);
  for (const HostileFile& h : kHostileFiles) {
    const std::string path = test::pickle_data(h.file);
    Unpickler u(map_file(path), path);
    u.set_scan_mode(true);
    PickleValue v;
    ASSERT_NO_THROW(v = u.load()) << h.file;
    EXPECT_EQ(u.refused_globals(), std::vector<std::string>{h.global}) << h.file;
    EXPECT_FALSE(fs::exists(kMarker)) << h.file;
  }
  // The refused call is kept as an inert record.
  const std::string path = test::pickle_data("hostile_reduce_os_system_p2.pkl");
  Unpickler u(map_file(path), path);
  u.set_scan_mode(true);
  PickleValue call = u.load();
  ASSERT_EQ(call.kind(), PickleKind::Object);
  EXPECT_TRUE(call.refused());
  EXPECT_EQ(call.qualified_name(), "posix.system");
  EXPECT_EQ(call.object_args().item(0).as_str(), std::string("touch ") + kMarker);
}

// The same attacks spelled by hand with every opcode that names or calls a class, each
// aiming at a marker file in a scratch folder.
TEST(HostilePickle, EveryCallingOpcodeIsRefused) {
  const std::string marker = test::scratch_dir("hostile") + "/marker";
  const std::string cmd = binunicode("touch " + marker);
  const std::string cases[][2] = {
      {"cos\nsystem\n" + cmd + "\x85R.", "os.system"},                                  // GLOBAL+REDUCE
      {"\x80\x04" + binunicode("os") + binunicode("system") + "\x93" + cmd + "\x85R.", "os.system"},  // STACK_GLOBAL
      {"(" + cmd + "ios\nsystem\n.", "os.system"},                                     // INST
      {"(cposix\nsystem\n" + cmd + "o.", "posix.system"},                              // OBJ
      {"\x80\x02" "csubprocess\nPopen\n(" + cmd + "l\x85\x81.", "subprocess.Popen"},      // NEWOBJ
      {"\x80\x04" "csubprocess\nPopen\n)}\x92.", "subprocess.Popen"},                     // NEWOBJ_EX
      {"\x80\x02" "cargparse\nNamespace\n)\x81}" + binunicode("__setstate__") + "cbuiltins\nexec\nsb" + cmd + "b.",
       "builtins.exec"},                                                               // BUILD
      {"cbuiltins\neval\n" + binunicode("__import__('os').system('touch " + marker + "')") + "\x85R.",
       "builtins.eval"},
      {"cbuiltins\ngetattr\n.", "builtins.getattr"},
      {"cnt\nsystem\n.", "nt.system"},
      {"ctorch.storage\n_load_from_bytes\n.", "torch.storage._load_from_bytes"},
      {"ctorch\nload\n.", "torch.load"},
      {"\x80\x04" + binunicode("torch._utils") + binunicode("_rebuild_device_tensor_from_numpy") + "\x93.",
       "torch._utils._rebuild_device_tensor_from_numpy"},
      {"ccopyreg\n_reconstructor\n(cos\nsystem\ncbuiltins\nobject\nNtR.", "os.system"},
  };
  for (const auto& c : cases) {
    std::string message = error_of(c[0]);
    EXPECT_EQ(message, "evil.pkl: refused global '" + c[1] + "' (not on the allow-list)");
    EXPECT_FALSE(fs::exists(marker));
  }
}

TEST(HostilePickle, GlobalNamesInMessagesStayOnOneLine) {
  std::string msg = error_of("\x80\x04" + binunicode("os\nx") + binunicode("sys'tem\x01") + "\x93.");
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  EXPECT_NE(msg.find("refused global"), std::string::npos) << msg;
}

TEST(HostilePickle, MillionDeepNestingIsRefusedWithoutRecursion) {
  const size_t n = 1000000;
  // MARK chains.
  EXPECT_NE(error_of(std::string(n, '(') + "."), "(no error)");
  EXPECT_NE(error_of(std::string(n, '(') + ".").find("nested MARKs"), std::string::npos);
  // EMPTY_LIST pushes, then APPENDs fold them into one chain of lists (fewer: each is a
  // value on the stack at once).
  EXPECT_NE(error_of(std::string(n / 5, ']') + std::string(n / 5 - 1, 'a') + ".").find("nested deeper than 1000"),
            std::string::npos);
  // TUPLE1 chain on a one-item stack.
  EXPECT_NE(error_of(")" + std::string(n, '\x85') + ".").find("nested deeper"), std::string::npos);
  // Through the memo, with a constant stack: x = [x] a million times.
  std::string memo_chain = B("]q\x00" "0");
  for (size_t i = 0; i < n; ++i) memo_chain += B("]h\x00" "aq\x00" "0");
  memo_chain += B("h\x00.");
  EXPECT_NE(error_of(memo_chain).find("nested deeper"), std::string::npos);
}

TEST(HostilePickle, DeepValuesWithinARaisedLimitAreFreedWithoutRecursion) {
  PickleLimits deep;
  deep.max_depth = 2000000;
  // 300000 levels: a recursive check or destructor would overflow an 8 MiB stack.
  PickleValue v = read_pickle(test::view_of(")" + std::string(300000, '\x85') + "."), "deep.pkl", deep);
  EXPECT_EQ(v.kind(), PickleKind::Tuple);
  v = PickleValue();  // the whole chain is destroyed here
}

TEST(HostilePickle, NestingUpToTheLimitLoads) {
  PickleValue v = read_pickle(test::view_of(std::string(999, ']') + std::string(998, 'a') + "."), "ok.pkl");
  size_t depth = 1;
  while (v.size() == 1) {
    v = v.item(0);
    ++depth;
  }
  EXPECT_EQ(depth, 999u);
}

TEST(HostilePickle, CyclesAreRefused) {
  EXPECT_NE(error_of(B("]q\x00h\x00" "a.")).find("contains itself"), std::string::npos);
  EXPECT_NE(error_of(B("}q\x00U\x01kh\x00s.")).find("contains itself"), std::string::npos);
  // BUILD state pointing back at the object.
  EXPECT_NE(error_of(B("cargparse\nNamespace\n)\x81q\x00h\x00" "b.")).find("contains itself"),
            std::string::npos);
}

TEST(HostilePickle, SharedSubtreesDoNotExplode) {
  // x = [x, x] sixty times describes 2^60 paths in a few hundred bytes.
  std::string s = B("]q\x00" "0");
  for (int i = 0; i < 60; ++i) s += B("(h\x00h\x00lq\x00" "0");
  s += B("h\x00.");
  auto start = std::chrono::steady_clock::now();
  PickleValue v = read_pickle(test::view_of(s), "laughs.pkl");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(v.size(), 2u);
  EXPECT_EQ(v.item(0).identity(), v.item(1).identity());
}

TEST(HostilePickle, MemoStackAndValueLimits) {
  PickleLimits small;
  small.max_memo = 100;
  std::string puts;
  for (uint32_t i = 0; i < 200; ++i) puts += "Nr" + le32(i) + "0";
  EXPECT_NE(error_of(puts + "N.", small).find("memo entries"), std::string::npos);
  // Rewriting one index is not growth.
  std::string rewrite;
  for (int i = 0; i < 1000; ++i) rewrite += "Nr" + le32(7) + "0";
  EXPECT_EQ(error_of(rewrite + "N.", small), "(no error)");
  EXPECT_NE(error_of("Nr" + le32(0xffffffffu) + "j" + le32(0xfffffffeu) + "."), "(no error)");

  small.max_stack = 10;
  EXPECT_NE(error_of(std::string(11, 'N') + ".", small).find("on the stack"), std::string::npos);
  small.max_values = 50;
  small.max_stack = 1000;
  EXPECT_NE(error_of("]" + std::string(60, 'N') + "0", small).find("values (limit)"), std::string::npos);
  // DUP floods are bounded by the stack limit, not memory.
  EXPECT_NE(error_of("N" + std::string(2000, '2') + ".", small).find("on the stack"), std::string::npos);
}

TEST(HostilePickle, CopiesOfMemoizedValuesCannotAmplifyAllocation) {
  // A 100000-item list, then set(list) / OrderedDict(list) / bytearray(bytes) again and again:
  // every copy is charged against max_values, so this fails fast instead of allocating
  // gigabytes (a small limit here keeps the test fast; the default is 8M).
  PickleLimits limits;
  limits.max_values = 1000000;
  std::string big_list = "(" + std::string(100000, 'N') + "lq\x01";
  std::string set_calls = B("cbuiltins\nset\nq\x02" "0") + big_list;
  for (int i = 0; i < 2000; ++i) set_calls += B("h\x02h\x01\x85R0");
  EXPECT_NE(error_of(set_calls + "N.", limits).find("values (limit)"), std::string::npos);

  std::string bytes = "B" + le32(1 << 20) + std::string(1 << 20, 'x') + B("q\x01");
  std::string copies = B("cbuiltins\nbytearray\nq\x02" "0") + bytes;
  for (int i = 0; i < 2000; ++i) copies += B("h\x02h\x01\x85R0");
  EXPECT_NE(error_of(copies + "N.", limits).find("values (limit)"), std::string::npos);

  // Long names are refused before they are copied into messages or the refused list.
  const std::string long_name = std::string(100000, 'a');
  EXPECT_NE(error_of("\x80\x04" + binunicode(long_name) + binunicode("x") + "\x93.").find("longer than 256"),
            std::string::npos);
}

TEST(HostilePickle, RandomBytesNeverCrash) {
  std::mt19937 rng(20240601);
  const std::string alphabet = "()]}.NKJMIXUQRbcdehjlopqrstua0123\x80\x81\x85\x86\x87\x88\x89\x8a\x8c\x8f\x90\x91\x92\x93\x94\x95";
  int loaded = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string s;
    const size_t len = rng() % 64;
    for (size_t i = 0; i < len; ++i)
      s.push_back(rng() % 4 ? alphabet[rng() % alphabet.size()] : static_cast<char>(rng() & 0xff));
    try {
      PickleValue v = read_pickle(test::view_of(s), "random.pkl");
      ++loaded;
    } catch (const Error&) {
    }
  }
  EXPECT_GT(loaded, 0);
}

}  // namespace
}  // namespace vit
