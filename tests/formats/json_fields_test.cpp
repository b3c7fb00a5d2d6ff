// The shared typed JSON accessors: each type's strictness and the error's file-and-key form.
#include <limits>
#include <string>

#include <gtest/gtest.h>

#include "formats/error.h"
#include "formats/json_file.h"

namespace vit {
namespace {

using nlohmann::json;

template <typename T>
std::string error_of_field(const json& value) {
  try {
    required_field<T>(json{{"k", value}}, "k", "f.json");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(JsonFields, IntegersMustBeIntegralAndFit) {
  EXPECT_EQ(required_field<int>(json{{"k", 16}}, "k", "f.json"), 16);
  EXPECT_EQ(required_field<int>(json{{"k", -2147483648LL}}, "k", "f.json"), -2147483648LL);
  EXPECT_EQ(required_field<int>(json{{"k", 2147483647ULL}}, "k", "f.json"), 2147483647);
  // get<int>() would make 16 of both of these.
  EXPECT_EQ(error_of_field<int>(16.5), "f.json: \"k\": must be a 32-bit integer, got 16.5");
  EXPECT_EQ(error_of_field<int>(4294967312ULL), "f.json: \"k\": must be a 32-bit integer, got 4294967312");
  EXPECT_EQ(error_of_field<int>(-2147483649LL), "f.json: \"k\": must be a 32-bit integer, got -2147483649");
  EXPECT_EQ(error_of_field<int>(1e300), "f.json: \"k\": must be a 32-bit integer, got 1e+300");
  EXPECT_EQ(error_of_field<int>("16"), "f.json: \"k\": must be a 32-bit integer, got \"16\"");
  EXPECT_EQ(error_of_field<int>(true), "f.json: \"k\": must be a 32-bit integer, got true");
  EXPECT_EQ(error_of_field<int>(json::array({1})), "f.json: \"k\": must be a 32-bit integer, got an array");
}

TEST(JsonFields, NumbersBoolsAndStringsAreCheckedByType) {
  EXPECT_EQ(required_field<double>(json{{"k", 3}}, "k", "f.json"), 3.0);
  EXPECT_EQ(required_field<bool>(json{{"k", false}}, "k", "f.json"), false);
  EXPECT_EQ(required_field<std::string>(json{{"k", "x"}}, "k", "f.json"), "x");
  EXPECT_EQ(error_of_field<double>("1.0"), "f.json: \"k\": must be a finite number, got \"1.0\"");
  // A document built in code can hold infinity, which nlohmann dumps as null.
  EXPECT_EQ(error_of_field<double>(std::numeric_limits<double>::infinity()),
            "f.json: \"k\": must be a finite number, got null");
  EXPECT_EQ(error_of_field<bool>(1), "f.json: \"k\": must be true or false, got 1");
  EXPECT_EQ(error_of_field<std::string>(json::object()), "f.json: \"k\": must be a string, got an object");
  // A long or binary string value is shown quoted, escaped and capped at one short line.
  const std::string shown = error_of_field<bool>(std::string(1000, 'a') + "\n");
  EXPECT_LT(shown.size(), 300u);
  EXPECT_EQ(shown.find('\n'), std::string::npos);
}

TEST(JsonFields, MissingOrNullFieldsAreRequiredOrDefaulted) {
  EXPECT_EQ(error_of_field<int>(nullptr), "f.json: missing \"k\"");
  try {
    required_field<int>(json::object(), "patch_size", "config.json");
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "config.json: missing \"patch_size\"");
  }
  EXPECT_EQ(optional_field<int>(json::object(), "k", 7, "f.json"), 7);
  EXPECT_EQ(optional_field<int>(json{{"k", nullptr}}, "k", 7, "f.json"), 7);
  EXPECT_EQ(optional_field<int>(json{{"k", 9}}, "k", 7, "f.json"), 9);
  EXPECT_THROW(optional_field<int>(json{{"k", 9.5}}, "k", 7, "f.json"), Error);
}

}  // namespace
}  // namespace vit
