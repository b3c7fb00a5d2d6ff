// A restricted unpickler: reads pickle protocols 0-5 into an inert PickleValue tree.
//
// Nothing from the input is ever imported or executed. Globals resolve only against the lists
// in pickle_globals.h; any other global (GLOBAL, STACK_GLOBAL, INST) fails the load with
// "<where>: refused global 'os.system' (not on the allow-list)", or is recorded in scan mode.
// The reader is iterative and every resource it takes is bounded by PickleLimits.
#pragma once
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "byte_view.h"
#include "pickle_value.h"

namespace vit {

struct PickleLimits {
  size_t max_depth = 1000;       // open MARKs at once, and nesting depth of a loaded value
  size_t max_stack = 1u << 20;   // values on the stack at once
  size_t max_memo = 1u << 20;    // memo entries
  size_t max_values = 1u << 23;  // values created by one Unpickler (about 100 bytes each)
  size_t max_string = 1u << 30;  // bytes in one str/bytes/line (never more than the input has)
  size_t max_int_bytes = 32;     // LONG1/LONG4 payloads; wider integers are refused
};

class Unpickler {
 public:
  // Builds the value a persistent id (PERSID / BINPERSID) stands for.
  using PersistentLoad = std::function<PickleValue(PickleBuilder&, const PickleValue& pid)>;
  // Builds the result of calling a GlobalRole::Torch global (REDUCE, NEWOBJ, ...) with args.
  using CallHandler =
      std::function<PickleValue(PickleBuilder&, const PickleValue& callable, const PickleValue& args)>;

  Unpickler(ByteView bytes, std::string where, const PickleLimits& limits = {});
  ~Unpickler();
  Unpickler(const Unpickler&) = delete;
  Unpickler& operator=(const Unpickler&) = delete;

  // Without a persistent loader persistent ids fail the load; without a call handler calls
  // of Torch globals record opaque Objects.
  void set_persistent_load(PersistentLoad fn);
  void set_call_handler(CallHandler fn);
  // Scan mode: a refused global becomes a Global/Object marked refused() and is listed in
  // refused_globals() (each name once) instead of failing the load.
  void set_scan_mode(bool scan);

  // Reads one pickle from position() up to and including its STOP opcode.
  PickleValue load();
  size_t position() const;
  void seek(size_t position);  // the next load() starts here
  const std::vector<std::string>& refused_globals() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// Reads the single pickle at the start of `bytes` with no persistent ids.
PickleValue read_pickle(ByteView bytes, const std::string& where, const PickleLimits& limits = {});

}  // namespace vit
