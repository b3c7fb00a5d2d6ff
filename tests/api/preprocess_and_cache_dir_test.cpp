// preprocess_memory and default_packed_cache_dir of the public API.
#include <cstdlib>
#include <optional>

#include <gtest/gtest.h>

#include "api_models.h"
#include "test_support/shared_data.h"
#include "vitcpp/vitcpp.h"

namespace vitcpp {
namespace {

TEST(ApiPreprocess, MemoryEqualsFileOnTheSameBytes) {
  const Model model = Model::load(test::digits_folder());
  const std::string path = test::digit_images()[3];
  const std::string bytes = vit::test::read_text(path);
  int height = 0, width = 0;
  EXPECT_EQ(model.preprocess_memory(bytes.data(), bytes.size(), "digit", &height, &width), model.preprocess_file(path));
  EXPECT_EQ(height, model.input_height());
  EXPECT_EQ(width, model.input_width());
}

TEST(ApiPreprocess, GarbageBytesGiveOneLineNamingTheName) {
  const Model model = Model::load(test::digits_folder());
  const std::string garbage = "\x89PNG but not really an image at all";
  try {
    model.preprocess_memory(garbage.data(), garbage.size(), "upload-17");
    FAIL() << "garbage was decoded";
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("upload-17"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

// Sets or unsets environment variables for one scope, restoring them afterwards.
class Environment {
 public:
  void set(const char* name, const char* value) {
    const char* old = std::getenv(name);
    saved_.emplace_back(name, old ? std::optional<std::string>(old) : std::nullopt);
    if (value) ::setenv(name, value, 1);
    else ::unsetenv(name);
  }
  ~Environment() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->second) ::setenv(it->first.c_str(), it->second->c_str(), 1);
      else ::unsetenv(it->first.c_str());
    }
  }

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST(ApiCacheDir, EnvironmentPrecedence) {
  Environment env;
  env.set("VITCPP_CACHE_DIR", "/tmp/explicit");
  env.set("XDG_CACHE_HOME", "/tmp/xdg");
  env.set("HOME", "/tmp/home");
  EXPECT_EQ(default_packed_cache_dir(), "/tmp/explicit");
  env.set("VITCPP_CACHE_DIR", nullptr);
  EXPECT_EQ(default_packed_cache_dir(), "/tmp/xdg/vitcpp");
  env.set("XDG_CACHE_HOME", nullptr);
  EXPECT_EQ(default_packed_cache_dir(), "/tmp/home/.cache/vitcpp");
  env.set("HOME", nullptr);
  EXPECT_EQ(default_packed_cache_dir(), "");
}

}  // namespace
}  // namespace vitcpp
