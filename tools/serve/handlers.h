// vitserve's routes: authentication, the inference endpoints, health, metrics and the page.
#pragma once
#include <string>
#include <vector>

#include <httplib.h>

#include "serve/batcher.h"
#include "serve/metrics.h"
#include "serve/options.h"
#include "vitcpp/vitcpp.h"

namespace vit::serve {

struct ServerContext {
  const vitcpp::Model& model;
  Batcher& batcher;
  Metrics& metrics;
  const ServeOptions& options;
  std::vector<std::string> labels;
};

// Installs every route, the authentication check, JSON error bodies and request metrics.
void install_routes(httplib::Server& server, ServerContext& context);

// Equal strings, compared in time that depends only on their lengths.
bool equal_in_constant_time(const std::string& a, const std::string& b);

}  // namespace vit::serve
