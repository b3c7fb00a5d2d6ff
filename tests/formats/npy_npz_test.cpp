#include <cstring>

#include <gtest/gtest.h>

#include "formats/npy.h"
#include "formats/npz.h"
#include "test_support/shared_data.h"
#include "zip_builder.h"

namespace {

std::string npy_file(const std::string& dir, const std::string& name, vit::DType dtype,
                     const std::vector<int64_t>& shape, const std::string& data) {
  const std::string path = dir + "/" + name + ".npy";
  vit::write_npy(path, dtype, shape, data.data());
  return vit::test::read_text(path);
}

}  // namespace

TEST(Npz, ReadsStoredAndDeflatedMembers) {
  const std::string dir = vit::test::scratch_dir("npz");
  std::string weights(24 * 4, '\0');
  for (size_t i = 0; i < weights.size(); ++i) weights[i] = static_cast<char>(i * 3);
  const std::string labels = "\x01\x02\x03";
  for (int method : {0, 8}) {
    SCOPED_TRACE(method);
    std::vector<vit::test::ZipBuildEntry> entries(2);
    entries[0].name = "weights.npy";
    entries[0].data = npy_file(dir, "w", vit::DType::F32, {2, 3, 4}, weights);
    entries[0].method = static_cast<uint16_t>(method);
    entries[0].zip64_local_only = true;  // as np.savez writes its members
    entries[1].name = "labels.npy";
    entries[1].data = npy_file(dir, "l", vit::DType::U8, {3}, labels);
    entries[1].method = static_cast<uint16_t>(method);
    entries[1].data_descriptor = true;  // as a streaming writer would
    const std::string path = dir + "/arrays.npz";
    vit::test::write_bytes(path, vit::test::build_zip(entries));

    const auto arrays = vit::read_npz(path);
    ASSERT_EQ(arrays.size(), 2u);
    EXPECT_EQ(arrays[0].first, "weights");
    EXPECT_EQ(arrays[0].second.shape, (std::vector<int64_t>{2, 3, 4}));
    EXPECT_EQ(arrays[0].second.data.str(), weights);
    EXPECT_EQ(arrays[1].first, "labels");
    EXPECT_EQ(arrays[1].second.dtype, vit::DType::U8);
    EXPECT_EQ(arrays[1].second.data.str(), labels);
  }
}

TEST(Npz, BadMembersAreRefusedNamingTheFile) {
  const std::string dir = vit::test::scratch_dir("npz");
  const std::string path = dir + "/bad.npz";
  vit::test::ZipBuildEntry e;
  e.name = "notes.txt";
  e.data = "hello";
  vit::test::write_bytes(path, vit::test::build_zip({e}));
  EXPECT_VIT_ERROR(vit::read_npz(path), path, "\"notes.txt\" is not a .npy file");

  e.name = "x.npy";
  e.data = std::string("\x93NUMPY\x01\x00\x04\x00{}  ", 14);
  e.method = 8;
  vit::test::write_bytes(path, vit::test::build_zip({e}));
  EXPECT_VIT_ERROR(vit::read_npz(path), path + ": member \"x.npy\"", "malformed .npy header");

  vit::test::write_bytes(path, "not a zip at all, definitely not");
  EXPECT_VIT_ERROR(vit::read_npz(path), path, "not a ZIP archive");
}
