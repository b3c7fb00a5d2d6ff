// With --api-key-file, /v1/* and /metrics need "Authorization: Bearer <key>"; / and /healthz
// stay open.
#include <fstream>

#include <gtest/gtest.h>

#include "api/api_models.h"
#include "serve/server_process.h"
#include "test_support/shared_data.h"
#include "tools/serve/handlers.h"

namespace vit::test {
namespace {

TEST(Serve, ApiKeyIsRequiredWhereDocumented) {
  const std::string key_file = scratch_dir("key") + "/key.txt";
  std::ofstream(key_file) << "s3cret-key\n";
  ServerProcess server(vitcpp::test::digits_folder(), {"--api-key-file", key_file});
  ASSERT_NE(server.pid(), 0);
  const std::string png = read_file_bytes(vitcpp::test::digit_images()[0]);
  auto client = server.client();
  const std::vector<httplib::Headers> refused = {{},
                                                 {{"Authorization", "Bearer wrong"}},
                                                 {{"Authorization", "Bearer s3cret-ke"}},
                                                 {{"Authorization", "Bearer s3cret-key2"}},
                                                 {{"Authorization", "s3cret-key"}}};
  for (const httplib::Headers& headers : refused) {
    auto res = client->Post("/v1/classify", headers, png, "image/png");
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 401) << res->body;
    EXPECT_EQ(res->get_header_value("WWW-Authenticate"), "Bearer");
    auto embed = client->Post("/v1/embed", headers, png, "image/png");
    ASSERT_TRUE(embed);
    EXPECT_EQ(embed->status, 401);
    auto metrics = client->Get("/metrics", headers);
    ASSERT_TRUE(metrics);
    EXPECT_EQ(metrics->status, 401);
  }
  const httplib::Headers good = {{"Authorization", "Bearer s3cret-key"}};
  auto res = client->Post("/v1/classify", good, png, "image/png");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  auto metrics = client->Get("/metrics", good);
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  for (const char* open : {"/", "/healthz"}) {
    auto page = client->Get(open);
    ASSERT_TRUE(page);
    EXPECT_EQ(page->status, 200) << open;
  }
}

TEST(Serve, ConstantTimeComparisonComparesWholeStrings) {
  using vit::serve::equal_in_constant_time;
  EXPECT_TRUE(equal_in_constant_time("Bearer abc", "Bearer abc"));
  EXPECT_TRUE(equal_in_constant_time("", ""));
  EXPECT_FALSE(equal_in_constant_time("Bearer abc", "Bearer abd"));
  EXPECT_FALSE(equal_in_constant_time("Bearer ab", "Bearer abc"));
  EXPECT_FALSE(equal_in_constant_time("Bearer abc", "Bearer ab"));
  EXPECT_FALSE(equal_in_constant_time(std::string("a\0", 2), "a"));
}

TEST(Serve, UnusableApiKeyFileIsRefusedAtStart) {
  const std::string empty_key = scratch_dir("key") + "/empty.txt";
  std::ofstream(empty_key) << "\n";
  for (const std::string& file : {empty_key, empty_key + ".missing"}) {
    std::string output;
    const int rc = run_command(tool_path("vitserve") + " --model " + vitcpp::test::digits_folder() +
                                   " --port 0 --api-key-file " + file, &output);
    EXPECT_EQ(rc, 2) << output;
    EXPECT_NE(output.find(file), std::string::npos) << output;
  }
}

}  // namespace
}  // namespace vit::test
