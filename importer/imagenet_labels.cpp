#include "importer/imagenet_labels.h"

#include <cctype>
#include <unordered_map>

#include "formats/error.h"
#include "formats/json_file.h"
#include "formats/mapped_file.h"
#include "importer/architecture_registry.h"

namespace vit {
namespace {

std::string labels_dir() { return models_dir() + "/labels"; }

nlohmann::json subset_tables() {
  const std::string path = labels_dir() + "/imagenet_subsets.json";
  nlohmann::json tables = read_json_file(path);
  for (const char* key : {"num_classes_to_subset", "subset_files"})
    if (!tables.contains(key) || !tables[key].is_object()) fail(path, std::string("has no \"") + key + "\" object");
  if (!tables.contains("lemma_file") || !tables["lemma_file"].is_string()) fail(path, "has no \"lemma_file\"");
  return tables;
}

// Lines split at '\n' (a trailing '\r' dropped), as Python's splitlines() reads these files.
std::vector<std::string> read_lines(const std::string& path) {
  const std::string text = map_file(path).str();
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    size_t stop = end > start && text[end - 1] == '\r' ? end - 1 : end;
    lines.push_back(text.substr(start, stop - start));
    start = end + 1;
  }
  return lines;
}

// timm: re.sub(r'[-_\s]', '', subset.lower())
std::string normalise_subset(const std::string& subset) {
  std::string out;
  for (unsigned char c : subset)
    if (c != '-' && c != '_' && !std::isspace(c)) out += static_cast<char>(std::tolower(c));
  return out;
}

std::string synset_file(const nlohmann::json& tables, const std::string& subset) {
  const nlohmann::json& files = tables["subset_files"];
  const std::string key = normalise_subset(subset);
  if (!files.contains(key) || !files[key].is_string()) fail("imagenet labels", "unknown ImageNet subset \"" + subset + "\"");
  return labels_dir() + "/" + files[key].get<std::string>();
}

}  // namespace

std::optional<std::string> infer_imagenet_subset(int num_classes) {
  const nlohmann::json tables = subset_tables();
  const std::string key = std::to_string(num_classes);
  const nlohmann::json& by_count = tables["num_classes_to_subset"];
  if (num_classes <= 0 || !by_count.contains(key)) return std::nullopt;
  return by_count[key].get<std::string>();
}

std::vector<std::string> imagenet_label_names(const std::string& subset) {
  return read_lines(synset_file(subset_tables(), subset));
}

std::vector<std::string> imagenet_label_descriptions(const std::string& subset) {
  const nlohmann::json tables = subset_tables();
  const std::string lemma_path = labels_dir() + "/" + tables["lemma_file"].get<std::string>();
  std::unordered_map<std::string, std::string> lemmas;
  for (const std::string& line : read_lines(lemma_path)) {
    size_t tab = line.find('\t');
    if (tab == std::string::npos) fail(lemma_path, "line without a tab: " + line);
    lemmas.emplace(line.substr(0, tab), line.substr(tab + 1));
  }
  std::vector<std::string> out;
  for (const std::string& synset : imagenet_label_names(subset)) {
    auto it = lemmas.find(synset);
    if (it == lemmas.end()) fail(lemma_path, "no lemma for " + synset);
    out.push_back(it->second);
  }
  return out;
}

}  // namespace vit
