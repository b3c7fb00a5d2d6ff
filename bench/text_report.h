// vitbench's human-readable rendering of its JSON reports.
#pragma once
#include <ostream>

#include <nlohmann/json.hpp>

namespace vit {

void print_text_report(const nlohmann::json& report, std::ostream& out);

}  // namespace vit
