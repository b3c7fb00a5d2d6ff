// What the public-API suites share: the bundled digits model imported once per process, and its
// labelled images.
#pragma once
#include <string>
#include <vector>

namespace vitcpp::test {

// models/bundled/digits converted by vitimport (float32 weights); imported on the first call.
const std::string& digits_folder();
// models/bundled/digits/images/NNN_L.png, sorted by name; L is the true digit.
std::vector<std::string> digit_images();
// The digit a file name "NNN_L.png" carries.
int true_digit(const std::string& image_path);

}  // namespace vitcpp::test
