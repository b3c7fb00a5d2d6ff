#include "importer/architecture_registry.h"

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <regex>
#include <set>

#include "formats/error.h"
#include "formats/json_file.h"

#ifndef VITCPP_MODELS_DIR
#define VITCPP_MODELS_DIR "models"
#endif

namespace vit {
namespace {

using nlohmann::json;

// Loaded once per models folder; reloaded when $VITCPP_MODELS_DIR points elsewhere.
std::shared_ptr<const json> registry() {
  static std::mutex mutex;
  static std::string loaded_path;
  static std::shared_ptr<const json> doc;
  const std::string path = models_dir() + "/timm_architectures.json";
  std::lock_guard<std::mutex> lock(mutex);
  if (!doc || path != loaded_path) {
    auto loaded = std::make_shared<json>(read_json_file(path));
    for (const char* key : {"defaults", "pretrained_cfg_defaults", "hf_image_processor", "size_presets",
                            "architectures", "aliases"})
      if (!loaded->contains(key) || !(*loaded)[key].is_object())
        fail(path, std::string("has no \"") + key + "\" object");
    doc = loaded;
    loaded_path = path;
  }
  return doc;
}

// timm's to_2tuple: an int n means (n, n).
std::array<int, 2> as_pair(const json& v, const std::string& where) {
  if (v.is_number()) return {json_as<int>(v, where), json_as<int>(v, where)};
  if (!v.is_array() || v.size() != 2) fail(where, "must be an integer or [h, w], got " + v.dump());
  return {json_as<int>(v[0], where), json_as<int>(v[1], where)};
}

std::vector<double> as_numbers(const json& v, const std::string& where) {
  if (!v.is_array()) fail(where, "must be a list of numbers, got " + v.dump());
  std::vector<double> out;
  for (const json& x : v) out.push_back(json_as<double>(x, where));
  return out;
}

enum class Origin { kRegistry, kCheckpoint };
using Setter = std::function<void(TimmArchArgs&, const json&, const std::string&)>;

template <class T, class Read>
Setter field(std::optional<T> TimmArchArgs::*member, Read read) {
  return [member, read](TimmArchArgs& a, const json& v, const std::string& where) { a.*member = read(v, where); };
}

template <class T, class Read>
Setter nullable_field(TimmNullable<T> TimmArchArgs::*member, Read read) {
  return [member, read](TimmArchArgs& a, const json& v, const std::string& where) {
    a.*member = v.is_null() ? std::optional<T>() : std::optional<T>(read(v, where));
  };
}

const std::map<std::string, Setter>& setters() {
  static const std::map<std::string, Setter> table = {
      {"img_size",
       [](TimmArchArgs& a, const json& v, const std::string& where) {
         a.img_size = as_pair(v, where);
         a.img_size_explicit = true;
       }},
      {"patch_size", field(&TimmArchArgs::patch_size, as_pair)},
      {"in_chans", field(&TimmArchArgs::in_chans, json_as<int>)},
      {"num_classes", field(&TimmArchArgs::num_classes, json_as<int>)},
      {"global_pool",
       [](TimmArchArgs& a, const json& v, const std::string& where) {
         static const std::set<std::string> allowed = {"", "avg", "avgmax", "max", "token", "map", "prr"};
         std::string pool = json_as<std::string>(v, where);
         if (!allowed.count(pool)) fail(where, "unknown global_pool \"" + pool + "\"");
         a.global_pool = pool;
       }},
      {"embed_dim", field(&TimmArchArgs::embed_dim, json_as<int>)},
      {"depth", field(&TimmArchArgs::depth, json_as<int>)},
      {"num_heads", field(&TimmArchArgs::num_heads, json_as<int>)},
      {"mlp_ratio", field(&TimmArchArgs::mlp_ratio, json_as<double>)},
      {"qkv_bias", field(&TimmArchArgs::qkv_bias, json_as<bool>)},
      {"qk_norm", field(&TimmArchArgs::qk_norm, json_as<bool>)},
      {"proj_bias", field(&TimmArchArgs::proj_bias, json_as<bool>)},
      {"scale_attn_norm", field(&TimmArchArgs::scale_attn_norm, json_as<bool>)},
      {"scale_mlp_norm", field(&TimmArchArgs::scale_mlp_norm, json_as<bool>)},
      {"init_values", nullable_field(&TimmArchArgs::init_values, json_as<double>)},
      {"class_token", field(&TimmArchArgs::class_token, json_as<bool>)},
      {"pos_embed", field(&TimmArchArgs::pos_embed, json_as<std::string>)},
      {"no_embed_class", field(&TimmArchArgs::no_embed_class, json_as<bool>)},
      {"reg_tokens", field(&TimmArchArgs::reg_tokens, json_as<int>)},
      {"pre_norm", field(&TimmArchArgs::pre_norm, json_as<bool>)},
      {"final_norm", field(&TimmArchArgs::final_norm, json_as<bool>)},
      {"fc_norm", nullable_field(&TimmArchArgs::fc_norm, json_as<bool>)},
      {"pool_include_prefix", field(&TimmArchArgs::pool_include_prefix, json_as<bool>)},
      {"dynamic_img_size", field(&TimmArchArgs::dynamic_img_size, json_as<bool>)},
      {"dynamic_img_pad", field(&TimmArchArgs::dynamic_img_pad, json_as<bool>)},
      {"act_layer", field(&TimmArchArgs::act_layer, json_as<std::string>)},
      {"norm_layer", field(&TimmArchArgs::norm_layer, json_as<std::string>)},
      {"embed_norm_layer", nullable_field(&TimmArchArgs::embed_norm_layer, json_as<std::string>)},
      {"embed_layer", field(&TimmArchArgs::embed_layer, json_as<std::string>)},
      {"block_fn", field(&TimmArchArgs::block_fn, json_as<std::string>)},
      {"mlp_layer", field(&TimmArchArgs::mlp_layer, json_as<std::string>)},
      {"attn_layer", field(&TimmArchArgs::attn_layer, json_as<std::string>)},
  };
  return table;
}

// create_model / build_model_with_cfg kwargs that do not change the eval-mode network.
const std::set<std::string>& harmless_keys() {
  static const std::set<std::string> keys = {
      "drop_rate",   "pos_drop_rate", "patch_drop_rate", "proj_drop_rate", "attn_drop_rate",
      "drop_path_rate", "weight_init", "fix_init", "pretrained", "pretrained_cfg",
      "pretrained_cfg_overlay", "pretrained_strict", "out_indices", "feature_cfg", "device", "dtype",
      "cache_dir", "scriptable", "exportable", "no_jit"};
  return keys;
}

// Keys that are harmless only at one value (timm switches to another model class otherwise).
bool harmless_at_default(const std::string& key, const json& v) {
  return (key == "features_only" || key == "use_naflex") && v.is_boolean() && !v.get<bool>();
}

void overlay(TimmArchArgs& a, const json& args, Origin origin, const std::string& where) {
  if (!args.is_object()) fail(where, "expected a JSON object of timm arguments");
  const json& defaults = (*registry())["defaults"];
  for (const auto& [key, value] : args.items()) {
    const std::string at = where + "." + key;
    if (origin == Origin::kRegistry && key == "norm_eps") {
      a.norm_eps = json_as<double>(value, at);
      continue;
    }
    auto it = setters().find(key);
    if (it == setters().end()) {
      if (harmless_keys().count(key) || harmless_at_default(key, value)) continue;
      fail(where, "unknown timm argument \"" + key + "\" = " + value.dump() +
                      " (it may change the network, so it cannot be ignored)");
    }
    // None for a layer argument means VisionTransformer's default layer.
    const bool layer_none = value.is_null() && (key == "act_layer" || key == "norm_layer");
    it->second(a, layer_none ? defaults.at(key) : value, at);
    // A norm_layer named by a checkpoint is timm's class with its default eps (the registry's
    // partial(LayerNorm, eps=...) entries carry norm_eps separately).
    if (key == "norm_layer" && origin == Origin::kCheckpoint) a.norm_eps = defaults.at("norm_eps").get<double>();
  }
}

TimmPretrainedCfg read_pretrained_cfg(const json& cfg, const json& defaults, const std::string& where) {
  auto field = [&](const char* key) -> const json& {
    return cfg.contains(key) && !cfg[key].is_null() ? cfg[key] : defaults.at(key);
  };
  TimmPretrainedCfg out;
  if (cfg.contains("tag") && cfg["tag"].is_string()) out.tag = cfg["tag"].get<std::string>();
  const json& input = field("input_size");
  if (!input.is_array() || input.size() != 3) fail(where + ".input_size", "expected [C, H, W], got " + input.dump());
  const std::string input_where = where + ".input_size";
  out.input_size = std::array<int, 3>{json_as<int>(input[0], input_where), json_as<int>(input[1], input_where),
                                      json_as<int>(input[2], input_where)};
  out.fixed_input_size = json_as<bool>(field("fixed_input_size"), where + ".fixed_input_size");
  out.interpolation = json_as<std::string>(field("interpolation"), where + ".interpolation");
  out.crop_pct = json_as<double>(field("crop_pct"), where + ".crop_pct");
  out.crop_mode = json_as<std::string>(field("crop_mode"), where + ".crop_mode");
  out.mean = as_numbers(field("mean"), where + ".mean");
  out.std = as_numbers(field("std"), where + ".std");
  out.num_classes = json_as<int>(field("num_classes"), where + ".num_classes");
  return out;
}

void set_image_processor(TimmArchArgs& a, const json& rule) {
  const std::string needle = rule.at("name_contains").get<std::string>();
  a.hf_image_processor = (a.name.find(needle) != std::string::npos ? rule.at("match") : rule.at("otherwise"))
                             .get<std::string>();
}

TimmArchArgs with_defaults(const std::string& name, const json& doc) {
  TimmArchArgs a;
  a.name = name;
  overlay(a, doc["defaults"], Origin::kRegistry, "defaults");
  a.img_size_explicit = false;
  a.distilled = false;
  a.hybrid = false;
  return a;
}

TimmArchArgs from_entry(const std::string& name, const json& entry, const json& doc) {
  const std::string where = "timm_architectures.json: " + name;
  TimmArchArgs a = with_defaults(name, doc);
  a.source = "registry";
  a.module = entry.at("module").get<std::string>();
  a.distilled = entry.value("distilled", false);
  if (entry.contains("hybrid")) {
    a.hybrid = true;
    a.hybrid_backbone = entry["hybrid"].value("backbone", "");
  }
  overlay(a, entry.at("model_args"), Origin::kRegistry, where + ".model_args");
  return apply_pretrained_cfg(std::move(a), entry.at("pretrained_cfg"));
}

std::optional<TimmArchArgs> from_pattern(const std::string& name, const json& doc) {
  static const std::regex pattern("vit_([a-z0-9]+)_patch([0-9]{1,3})((?:_[a-z0-9]+)*)");
  std::smatch m;
  if (name.size() > 200 || !std::regex_match(name, m, pattern)) return std::nullopt;
  const json& presets = doc["size_presets"];
  if (!presets.contains(m[1].str())) return std::nullopt;
  TimmArchArgs a = with_defaults(name, doc);
  a.source = "pattern";
  a.inferred = true;
  overlay(a, presets[m[1].str()], Origin::kRegistry, "size_presets." + m[1].str());
  const int patch = std::stoi(m[2].str());
  a.patch_size = std::array<int, 2>{patch, patch};
  std::vector<std::string> parts;
  const std::string rest = m[3].str();
  for (size_t i = 1; i < rest.size();) {
    size_t end = rest.find('_', i);
    if (end == std::string::npos) end = rest.size();
    parts.push_back(rest.substr(i, end - i));
    i = end + 1;
  }
  if (!parts.empty() && parts.back().size() <= 4 &&
      parts.back().find_first_not_of("0123456789") == std::string::npos) {
    const int size = std::stoi(parts.back());
    a.img_size = std::array<int, 2>{size, size};
    parts.pop_back();
  }
  a.inferred_unknown_parts = parts;
  return a;
}

}  // namespace

std::string models_dir() {
  if (const char* env = std::getenv("VITCPP_MODELS_DIR"); env && *env) return env;
  std::error_code error;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) {
    const std::filesystem::path installed = exe.parent_path().parent_path() / kInstalledModelsDir;
    if (std::filesystem::is_regular_file(installed / "timm_architectures.json", error)) return installed.string();
  }
  return VITCPP_MODELS_DIR;
}

std::optional<bool> TimmArchArgs::uses_fc_norm() const {
  if (!fc_norm) return std::nullopt;
  if (fc_norm->has_value()) return **fc_norm;
  if (!global_pool) return std::nullopt;
  return *global_pool == "avg" || *global_pool == "avgmax" || *global_pool == "max";
}

std::optional<bool> TimmArchArgs::has_norm() const {
  auto fc = uses_fc_norm();
  if (!final_norm || !fc) return std::nullopt;
  return *final_norm && !*fc;
}

std::optional<bool> TimmArchArgs::has_fc_norm() const {
  auto fc = uses_fc_norm();
  if (!final_norm || !fc) return std::nullopt;
  return *final_norm && *fc;
}

std::optional<bool> TimmArchArgs::layer_scale() const {
  if (!init_values) return std::nullopt;
  return init_values->has_value();
}

std::optional<bool> TimmArchArgs::patch_bias() const {
  if (!pre_norm) return std::nullopt;
  return !*pre_norm;
}

std::optional<int> TimmArchArgs::num_prefix_tokens() const {
  if (distilled && *distilled) return 2;
  if (!class_token || !reg_tokens) return std::nullopt;
  return (*class_token ? 1 : 0) + *reg_tokens;
}

std::optional<int> TimmArchArgs::mlp_hidden() const {
  if (!embed_dim || !mlp_ratio) return std::nullopt;
  return static_cast<int>(static_cast<double>(*embed_dim) * *mlp_ratio);
}

std::optional<TimmArchArgs> lookup_timm_architecture(const std::string& name) {
  const std::shared_ptr<const json> doc = registry();
  const json& archs = (*doc)["architectures"];
  const json& aliases = (*doc)["aliases"];
  std::optional<TimmArchArgs> found;
  if (archs.contains(name)) {
    found = from_entry(name, archs[name], *doc);
  } else if (aliases.contains(name)) {
    const json& alias = aliases[name];
    const std::string target = alias.at("alias_of").get<std::string>();
    const std::string arch = target.substr(0, target.find('.'));
    if (!archs.contains(arch)) fail("timm_architectures.json: " + name, "alias of unknown architecture " + arch);
    found = from_entry(name, archs[arch], *doc);
    found->source = "alias";
    found->alias_of = target;
    found = apply_pretrained_cfg(std::move(*found), alias.at("pretrained_cfg"));
  } else {
    found = from_pattern(name, *doc);
  }
  if (found) set_image_processor(*found, (*doc)["hf_image_processor"]);
  return found;
}

TimmArchArgs apply_model_args(TimmArchArgs base, const nlohmann::json& model_args) {
  if (model_args.is_null()) return base;
  overlay(base, model_args, Origin::kCheckpoint, "model_args");
  return base;
}

TimmArchArgs apply_pretrained_cfg(TimmArchArgs base, const nlohmann::json& pretrained_cfg) {
  if (!pretrained_cfg.is_object()) fail("pretrained_cfg", "expected a JSON object");
  const std::shared_ptr<const json> doc = registry();
  const json& model_defaults = (*doc)["defaults"];
  base.pretrained_cfg = read_pretrained_cfg(pretrained_cfg, (*doc)["pretrained_cfg_defaults"], "pretrained_cfg");
  const TimmPretrainedCfg& cfg = base.pretrained_cfg;
  // timm's _update_default_model_kwargs: a negative class count is not passed to the model.
  base.num_classes = *cfg.num_classes >= 0 ? *cfg.num_classes : model_defaults.at("num_classes").get<int>();
  base.in_chans = (*cfg.input_size)[0];
  if (!base.img_size_explicit) {
    base.img_size = *cfg.fixed_input_size ? std::array<int, 2>{(*cfg.input_size)[1], (*cfg.input_size)[2]}
                                          : as_pair(model_defaults.at("img_size"), "defaults.img_size");
  }
  return base;
}

TimmArchArgs resolve_timm_config(const nlohmann::json& config) {
  if (!config.is_object()) fail("config.json", "is not a JSON object");
  if (!config.contains("architecture") || !config["architecture"].is_string())
    fail("config.json", "has no \"architecture\" string");
  const std::string arch = config["architecture"].get<std::string>();
  std::optional<TimmArchArgs> found = lookup_timm_architecture(arch);
  if (!found) fail("config.json", "unknown timm architecture \"" + arch + "\"");
  json cfg;
  if (config.contains("pretrained_cfg")) {
    cfg = config["pretrained_cfg"];
    if (cfg.is_object() && config.contains("num_classes") && !config["num_classes"].is_null())
      cfg["num_classes"] = config["num_classes"];
  } else {
    // Legacy flat layout: everything but architecture/num_features is the pretrained_cfg.
    cfg = config;
    cfg.erase("architecture");
    cfg.erase("num_features");
  }
  TimmArchArgs args = apply_pretrained_cfg(std::move(*found), cfg);
  if (config.contains("pretrained_cfg") && config.contains("model_args"))
    args = apply_model_args(std::move(args), config["model_args"]);
  return args;
}

}  // namespace vit
