// The restricted unpickler: every protocol's encoding of one object, and opcode details.
#include <cmath>

#include <gtest/gtest.h>

#include "formats/error.h"
#include "formats/mapped_file.h"
#include "formats/pickle_globals.h"
#include "formats/pickle_reader.h"
#include "pickle_test_data.h"

namespace vit {
namespace {

using test::binunicode;
using test::le32;
using test::le64;

PickleValue parse(const std::string& bytes, const PickleLimits& limits = {}) {
  return read_pickle(test::view_of(bytes), "test.pkl", limits);
}

std::string error_of(const std::string& bytes, const PickleLimits& limits = {}) {
  try {
    parse(bytes, limits);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// tests/generators/make_hostile_pickles.py pickles the same dict with protocols 0-5.
class BenignPickle : public ::testing::TestWithParam<int> {};

TEST_P(BenignPickle, DecodesEveryValue) {
  const std::string file = test::pickle_data("benign_p" + std::to_string(GetParam()) + ".pkl");
  PickleValue v = read_pickle(map_file(file), file);
  ASSERT_TRUE(v.is_dict());
  EXPECT_EQ(v.size(), 24u);
  EXPECT_EQ(v.at("int").as_int(), 7);
  EXPECT_EQ(v.at("neg").as_int(), -300000);
  EXPECT_EQ(v.at("i64").as_int(), int64_t{1} << 40);
  EXPECT_EQ(v.at("min64").as_int(), INT64_MIN);
  EXPECT_EQ(v.at("big").big_int_text(), "1180591620717411303424");
  EXPECT_EQ(v.at("negbig").big_int_text(), "-1180591620717411303424");
  EXPECT_EQ(v.at("float").as_float(), 1.5);
  EXPECT_EQ(v.at("small").as_float(), 1e-05);
  EXPECT_EQ(v.at("str").as_str(), "h\xc3\xa9llo \xe2\x98\x83");
  EXPECT_EQ(v.at("bytes").as_bytes(), std::string("\x00\x01\xff", 3));
  EXPECT_EQ(v.at("bytearray").as_bytes(), "xy");
  EXPECT_EQ(v.at("tuple").kind(), PickleKind::Tuple);
  ASSERT_EQ(v.at("tuple").size(), 3u);
  EXPECT_EQ(v.at("tuple").item(2).as_int(), 3);
  EXPECT_EQ(v.at("empty_tuple").size(), 0u);
  PickleValue nested = v.at("nested");
  EXPECT_EQ(nested.kind(), PickleKind::List);
  EXPECT_EQ(nested.item(1).item(1).item(0).as_int(), 3);
  EXPECT_EQ(v.at("set").kind(), PickleKind::Set);
  EXPECT_EQ(v.at("set").item(0).as_int(), 5);
  EXPECT_EQ(v.at("frozenset").kind(), PickleKind::Set);
  EXPECT_EQ(v.at("frozenset").item(0).as_int(), 6);
  EXPECT_TRUE(v.at("none").is_none());
  EXPECT_TRUE(v.at("true").as_bool());
  EXPECT_FALSE(v.at("false").as_bool());
  EXPECT_EQ(v.at("shared_a").identity(), v.at("shared_b").identity()) << "memo sharing is kept";
  PickleValue od = v.at("od");
  ASSERT_TRUE(od.is_dict());
  auto od_entries = od.entries();
  ASSERT_EQ(od_entries.size(), 2u);
  EXPECT_EQ(od_entries[0].first.as_str(), "a");
  EXPECT_EQ(od_entries[1].second.as_int(), 2);
  PickleValue ns = v.at("ns");
  ASSERT_EQ(ns.kind(), PickleKind::Object);
  // Protocols 0/1 spell it copyreg._reconstructor(Namespace, object, None); later NEWOBJ.
  if (GetParam() < 2) {
    EXPECT_EQ(ns.qualified_name(), "copyreg._reconstructor");
    EXPECT_EQ(ns.object_args().item(0).qualified_name(), "argparse.Namespace");
  } else {
    EXPECT_EQ(ns.qualified_name(), "argparse.Namespace");
  }
  EXPECT_EQ(ns.state().at("lr").as_float(), 0.1);
  EXPECT_EQ(ns.state().at("name").as_str(), "x");
  bool found_int_key = false;
  for (const auto& [k, value] : v.entries())
    if (k.is_int() && k.as_int() == 1) found_int_key = value.as_str() == "int key";
  EXPECT_TRUE(found_int_key);
}

INSTANTIATE_TEST_SUITE_P(Protocols, BenignPickle, ::testing::Range(0, 6));

TEST(PickleReader, IntegerForms) {
  EXPECT_EQ(parse("I12\n.").as_int(), 12);
  EXPECT_EQ(parse("I-5\n.").as_int(), -5);
  EXPECT_TRUE(parse("I01\n.").as_bool());
  EXPECT_EQ(parse("L123L\n.").as_int(), 123);
  EXPECT_EQ(parse("L-99999999999999999999L\n.").big_int_text(), "-99999999999999999999");
  EXPECT_EQ(parse("J\xff\xff\xff\xff.").as_int(), -1);
  EXPECT_EQ(parse("K\xff.").as_int(), 255);
  EXPECT_EQ(parse("M\xff\xff.").as_int(), 65535);
  EXPECT_EQ(parse(std::string("\x8a\x00.", 3)).as_int(), 0);
  EXPECT_EQ(parse("\x8a\x01\xff.").as_int(), -1);
  EXPECT_EQ(parse("\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7f.").as_int(), INT64_MAX);
  EXPECT_EQ(parse(std::string("\x8a\x09\xff\xff\xff\xff\xff\xff\xff\xff\x00.", 12)).big_int_text(), "18446744073709551615");
  // A wide encoding of a small value is still an Int.
  EXPECT_EQ(parse(std::string("\x8a\x0a\x05\x00\x00\x00\x00\x00\x00\x00\x00\x00.", 13)).as_int(), 5);
  EXPECT_EQ(parse("\x8b" + le32(2) + std::string("\x00\x80.", 3)).as_int(), -32768);
  EXPECT_TRUE(contains(error_of("\x8b" + le32(33) + std::string(33, '\1') + "."), "too large"));
  EXPECT_TRUE(contains(error_of("\x8b" + le32(0x80000000u) + "."), "negative"));
  EXPECT_TRUE(contains(error_of("L" + std::string(200, '9') + "\n."), "too large"));
  EXPECT_TRUE(contains(error_of("Iabc\n."), "malformed integer"));
}

TEST(PickleReader, FloatAndStringForms) {
  EXPECT_EQ(parse("F2.5\n.").as_float(), 2.5);
  EXPECT_TRUE(std::isinf(parse("Finf\n.").as_float()));
  EXPECT_TRUE(std::isnan(parse("Fnan\n.").as_float()));
  EXPECT_TRUE(contains(error_of("F1.2.3x\n."), "malformed float"));
  EXPECT_EQ(parse(std::string("G\x3f\xf8\x00\x00\x00\x00\x00\x00.", 10)).as_float(), 1.5);
  EXPECT_EQ(parse("S'a\\x41\\n\\'\\101'\n.").as_str(), "aA\n'A");
  EXPECT_EQ(parse("S\"q\"\n.").as_str(), "q");
  EXPECT_TRUE(contains(error_of("Snope\n."), "malformed STRING"));
  EXPECT_EQ(parse("Vsnow \\u2603 \xe9\n.").as_str(), "snow \xe2\x98\x83 \xc3\xa9");
  EXPECT_EQ(parse("T" + le32(3) + "abc.").as_str(), "abc");
  EXPECT_EQ(parse("U\x02hi.").as_str(), "hi");
  EXPECT_EQ(parse("\x8c\x02hi.").as_str(), "hi");
  EXPECT_EQ(parse("\x8d" + le64(2) + "hi.").as_str(), "hi");
  EXPECT_EQ(parse("B" + le32(2) + "hi.").as_bytes(), "hi");
  EXPECT_EQ(parse("C\x02hi.").as_bytes(), "hi");
  EXPECT_EQ(parse("\x8e" + le64(2) + "hi.").as_bytes(), "hi");
  EXPECT_EQ(parse("\x96" + le64(2) + "hi.").as_bytes(), "hi");
  // Lengths beyond the input are truncation, never an allocation.
  EXPECT_TRUE(contains(error_of("\x8e" + le64(~uint64_t{0}) + "."), "truncated"));
  EXPECT_TRUE(contains(error_of("X" + le32(0xffffffffu) + "."), "truncated"));
  PickleLimits small;
  small.max_string = 4;
  EXPECT_TRUE(contains(error_of(binunicode("hello") + ".", small), "over the limit"));
}

TEST(PickleReader, ContainersMemoAndStackOps) {
  EXPECT_EQ(parse("(I1\nI2\nl.").size(), 2u);
  EXPECT_EQ(parse("(I1\nI2\nt.").kind(), PickleKind::Tuple);
  EXPECT_EQ(parse("K\x01K\x02\x86.").size(), 2u);
  EXPECT_EQ(parse("K\x01K\x02K\x03\x87.").item(2).as_int(), 3);
  EXPECT_EQ(parse("](K\x01K\x02" "e.").size(), 2u);
  EXPECT_EQ(parse("]K\x07" "a.").item(0).as_int(), 7);
  EXPECT_EQ(parse("(U\x01" "aK\x01" "d.").at("a").as_int(), 1);
  EXPECT_EQ(parse("}U\x01" "aK\x01s.").at("a").as_int(), 1);
  // SETITEMS on an existing key overwrites in place, like Python.
  PickleValue d = parse("}(U\x01" "aK\x01U\x01" "bK\x02U\x01" "aK\x03u.");
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d.entries()[0].second.as_int(), 3);
  EXPECT_EQ(parse("\x8f(K\x01K\x02\x90.").size(), 2u);
  EXPECT_EQ(parse("(K\x01\x91.").kind(), PickleKind::Set);
  // Memo: PUT/GET text, BINPUT/BINGET, LONG_BINPUT/LONG_BINGET, MEMOIZE (index = memo size).
  PickleValue t = parse("(]p5\ng5\n]q\x01h\x01]r" + le32(70000) + "j" + le32(70000) + "t.");
  ASSERT_EQ(t.size(), 6u);
  EXPECT_EQ(t.item(0).identity(), t.item(1).identity());
  EXPECT_EQ(t.item(2).identity(), t.item(3).identity());
  EXPECT_NE(t.item(0).identity(), t.item(2).identity());
  PickleValue m = parse(std::string("\x80\x04(]\x94h\x00t.", 9));
  EXPECT_EQ(m.item(0).identity(), m.item(1).identity());
  // POP, POP_MARK, DUP; POP with an empty frame pops the mark, as Python does.
  EXPECT_EQ(parse("K\x01K\x02" "0.").as_int(), 1);
  EXPECT_EQ(parse("K\x01(K\x02K\x03" "1.").as_int(), 1);
  EXPECT_EQ(parse("K\x01(0.").as_int(), 1);
  EXPECT_EQ(parse("K\x09\x32\x86.").item(1).as_int(), 9);
  // FRAME is advisory but must fit; PROTO up to 5.
  EXPECT_EQ(parse("\x80\x05\x95" + le64(3) + "K\x01.").as_int(), 1);
  EXPECT_TRUE(contains(error_of("\x95" + le64(1000) + "K\x01."), "truncated"));
  EXPECT_TRUE(contains(error_of("\x80\x06N."), "protocol 6"));
}

TEST(PickleReader, MalformedStreamsGiveOneLineErrors) {
  const char* cases[] = {
      "",                       // empty
      "K",                      // truncated argument
      "K\x01",                  // no STOP
      ".",                      // STOP on an empty stack
      "a.",                     // APPEND underflow
      "K\x01(a.",               // APPEND cannot reach below the mark
      "K\x01K\x01" "a.",           // APPEND to an int
      "K\x01K\x02K\x03s.",      // SETITEM on an int
      "}(K\x01u.",              // odd SETITEMS
      "e.",                     // APPENDS without a mark
      "h\x05.",                 // missing memo entry
      "p-1\n.",                 // negative memo index
      "N\x82\x01.",             // EXT1
      "\x97.",                  // NEXT_BUFFER
      "\x98.",                  // READONLY_BUFFER
      "\xff.",                  // unknown opcode
      "K\x01K\x01R.",           // REDUCE of an int
      "ccollections\nOrderedDict\nK\x01R.",  // REDUCE args not a tuple
      "K\x01K\x01\x93.",        // STACK_GLOBAL of ints
      "(o.",                    // OBJ without a class
      "K\x01K\x02" "b.",           // BUILD on an int
      "Q.",                     // persistent id without a loader
      "Pabc\n.",                // text persistent id without a loader
      "c\nx\n.",                // empty module name
  };
  for (const char* c : cases) {
    std::string msg = error_of(c);
    EXPECT_TRUE(contains(msg, "test.pkl: ")) << "'" << c << "' -> " << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
  EXPECT_TRUE(contains(error_of("\xff."), "byte 0: unknown pickle opcode 0xff"));
  EXPECT_TRUE(contains(error_of(std::string("\x80\x02N", 3)), "byte 3: truncated"));
}

TEST(PickleReader, ContainerGlobalsAreBuiltInertly) {
  PickleValue od = parse("ccollections\nOrderedDict\n(U\x01kK\x01\x86l\x85R.");
  ASSERT_TRUE(od.is_dict());
  EXPECT_EQ(od.at("k").as_int(), 1);
  EXPECT_EQ(parse("c__builtin__\nset\n(K\x01K\x02l\x85R.").kind(), PickleKind::Set);
  EXPECT_EQ(parse("c_codecs\nencode\nV\xff\nU\x06latin1\x86R.").as_bytes(), "\xff");
  // Not latin-1: stays an inert record of the call.
  PickleValue odd = parse("c_codecs\nencode\nVabc\nU\x05utf-8\x86R.");
  EXPECT_EQ(odd.kind(), PickleKind::Object);
  EXPECT_EQ(odd.qualified_name(), "_codecs.encode");
  EXPECT_EQ(odd.object_args().size(), 2u);
  // Metadata globals are opaque objects with their args and kwargs recorded.
  PickleValue dt = parse("\x80\x04\x8c\x05numpy\x8c\x05" "dtype\x93\x8c\x02" "f4\x85}\x8c\x05" "alignK\x01s\x92.");
  ASSERT_EQ(dt.kind(), PickleKind::Object);
  EXPECT_EQ(dt.global_module(), "numpy");
  EXPECT_EQ(dt.global_name(), "dtype");
  EXPECT_EQ(dt.object_args().item(0).as_str(), "f4");
  EXPECT_EQ(dt.object_kwargs().at("align").as_int(), 1);
  EXPECT_EQ(parse("ctorch\nfloat32\n.").qualified_name(), "torch.float32");
}

TEST(PickleReader, AccessorsRefuseTheWrongKind) {
  PickleValue v = parse("K\x01.");
  EXPECT_THROW(v.as_str("here"), Error);
  EXPECT_THROW(v.items(), Error);
  EXPECT_THROW(v.entries(), Error);
  EXPECT_THROW(v.tensor(), Error);
  EXPECT_THROW(v.object_args(), Error);
  EXPECT_FALSE(v.find("x").has_value());
  try {
    v.as_str("file.pt: epoch");
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "file.pt: epoch: expected str, found int");
  }
  PickleValue none;
  EXPECT_TRUE(none.is_none());
  EXPECT_EQ(none.size(), 0u);
  EXPECT_THROW(parse("(K\x01t.").item(1), Error);
  EXPECT_THROW(parse("}.").at("missing"), Error);
}

TEST(PickleReader, ConsecutivePicklesReadInOrder) {
  std::string bytes = "K\x01.K\x02.";
  Unpickler u(test::view_of(bytes), "two");
  EXPECT_EQ(u.load().as_int(), 1);
  EXPECT_EQ(u.position(), 3u);
  EXPECT_EQ(u.load().as_int(), 2);
  EXPECT_THROW(u.load(), Error);
}

TEST(PickleGlobals, ListsAndClassification) {
  EXPECT_EQ(classify_global("collections", "OrderedDict"), GlobalRole::Container);
  EXPECT_EQ(classify_global("torch._utils", "_rebuild_tensor_v2"), GlobalRole::Torch);
  EXPECT_EQ(classify_global("torch", "BFloat16Storage"), GlobalRole::Torch);
  EXPECT_EQ(classify_global("argparse", "Namespace"), GlobalRole::Metadata);
  EXPECT_EQ(classify_global("__builtin__", "set"), GlobalRole::Container);
  EXPECT_EQ(classify_global("copy_reg", "_reconstructor"), GlobalRole::Metadata);
  for (auto [m, n] : {std::pair{"os", "system"}, {"posix", "system"}, {"builtins", "eval"},
                      {"__builtin__", "exec"}, {"subprocess", "Popen"}, {"runpy", "_run_code"},
                      {"torch", "load"}, {"torch.storage", "_load_from_bytes"}, {"builtins", "getattr"},
                      {"torch", "FloatStorage.x"}, {"torch._utils", "_rebuild_device_tensor_from_numpy"}})
    EXPECT_EQ(classify_global(m, n), GlobalRole::Refused) << m << "." << n;
  EXPECT_GE(allowed_globals().size(), 20u);
  EXPECT_GE(metadata_globals().size(), 10u);
}

}  // namespace
}  // namespace vit
