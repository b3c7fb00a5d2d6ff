// vitbench-alternate: latency of several models measured side by side in one process, one
// forward pass of each in turn, so a busy or drifting machine slows them all alike. The ratios
// to the first model are what to compare.
//   vitbench-alternate [--rounds N] [--threads T] ARCH_OR_CONFIG.json...
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "bench/arch_presets.h"
#include "bench/latency_stats.h"
#include "bench/op_profile.h"
#include "bench/random_weights.h"
#include "engine/ops/threading.h"
#include "formats/error.h"
#include "tools/command_line.h"

namespace {

constexpr const char* kUsage = R"(usage: vitbench-alternate [--rounds N] [--threads T] MODEL...

Times batch-1 float32 forward passes of each MODEL (a name vitbench takes, or a config.json,
with seeded random weights) in turn, N rounds (default 25, after one untimed round), and
prints each model's min and median ms and its median's ratio to the first model's.
  -h, --help   this text
)";

struct Entry {
  std::string name;
  vit::VitModel model;
  std::vector<float> pixels;
  std::vector<double> ms;
};

double forward_ms(const Entry& e) {
  const vit::VitConfig& c = e.model.config();
  const double start = vit::now_ms();
  e.model.forward(e.pixels.data(), 1, c.image_height, c.image_width, vit::timed_outputs(c));
  return vit::now_ms() - start;
}

}  // namespace

int main(int argc, char** argv) {
  vit::exec_with_engine_environment(argv);
  try {
    const vit::CommandLine cl(argc, argv, kUsage, {"--rounds", "--threads"}, {});
    if (cl.help()) {
      std::cout << kUsage;
      return 0;
    }
    if (cl.positional().empty()) vit::fail("", "name at least one model (see --help)");
    const int rounds = cl.get_int("--rounds", 25);
    if (rounds < 1) vit::fail("", "--rounds must be at least 1");
    vit::set_thread_count(cl.get_int("--threads", 0));
    std::vector<Entry> entries;
    for (const std::string& name : cl.positional()) {
      const vit::VitConfig c = vit::arch_config(name);
      entries.push_back({name, vit::VitModel(c, vit::random_weights(c, 0)),
                         vit::random_pixels(static_cast<size_t>(c.num_channels) * c.image_height * c.image_width, 1),
                         {}});
    }
    vit::use_thread_count();
    for (int round = -1; round < rounds; ++round)
      for (Entry& e : entries) {
        const double ms = forward_ms(e);
        if (round >= 0) e.ms.push_back(ms);
      }
    const double base = vit::summarize(entries.front().ms).median_ms;
    for (const Entry& e : entries) {
      const vit::LatencyStats s = vit::summarize(e.ms);
      std::printf("%-50s min %8.2f ms  median %8.2f ms  ratio %.3f\n", e.name.c_str(), s.min_ms, s.median_ms,
                  s.median_ms / base);
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "vitbench-alternate: " << e.what() << "\n";
    return 2;
  }
}
