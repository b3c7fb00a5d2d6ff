#include "pickle_reader.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "error.h"
#include "pickle_globals.h"
#include "pickle_node.h"
#include "pickle_text.h"

namespace vit {

using pickle_detail::Arena;
using pickle_detail::Node;

using pickle_text::printable;

namespace {

std::string hex_byte(uint8_t b) {
  static const char hex[] = "0123456789abcdef";
  return std::string("0x") + hex[b >> 4] + hex[b & 15];
}

// A dict key's identity for SETITEM(S) overwrite, for the scalar keys Python hashes by value.
// Keys of more than 256 bytes are not indexed (each index entry copies its key).
bool key_fingerprint(const Node* k, std::string* out) {
  if (k->text.size() > 256) return false;
  switch (k->kind) {
    case PickleKind::Str: *out = "s" + k->text; return true;
    case PickleKind::Bytes: *out = "b" + k->text; return true;
    case PickleKind::Int: *out = "i" + std::to_string(k->i); return true;
    case PickleKind::Bool: *out = std::string("i") + (k->flag ? "1" : "0"); return true;
    case PickleKind::BigInt: *out = "I" + k->text; return true;
    case PickleKind::None: *out = "n"; return true;
    default: return false;
  }
}

}  // namespace

struct Unpickler::State {
  ByteView bytes;
  std::string where;
  PickleLimits limits;
  std::shared_ptr<Arena> arena;
  size_t pos = 0;
  size_t op_pos = 0;
  std::vector<Node*> stack;
  std::vector<size_t> marks;
  std::unordered_map<uint64_t, Node*> memo;
  std::unordered_map<const Node*, std::unordered_map<std::string, size_t>> dict_index;
  PersistentLoad persistent_load;
  CallHandler call;
  bool scan = false;
  std::vector<std::string> refused;
  std::unordered_set<std::string> refused_seen;
  uint32_t epoch = 0;

  [[noreturn]] void bad(const std::string& what) const {
    fail(where, "byte " + std::to_string(op_pos) + ": " + what);
  }

  // ---- input
  size_t left() const { return bytes.size - pos; }
  const uint8_t* take(uint64_t n) {
    if (n > left())
      bad("truncated: needs " + std::to_string(n) + " bytes, " + std::to_string(left()) + " left");
    const uint8_t* p = bytes.data + pos;
    pos += static_cast<size_t>(n);
    return p;
  }
  uint8_t u8() { return *take(1); }
  uint64_t le(size_t n) {
    const uint8_t* p = take(n);
    uint64_t v = 0;
    for (size_t k = 0; k < n; ++k) v |= static_cast<uint64_t>(p[k]) << (8 * k);
    return v;
  }
  int32_t i32() { return static_cast<int32_t>(static_cast<uint32_t>(le(4))); }
  std::string line() {
    const void* nl = std::memchr(bytes.data + pos, '\n', left());
    if (!nl) bad("truncated: text argument has no end of line");
    size_t n = static_cast<const uint8_t*>(nl) - (bytes.data + pos);
    if (n > limits.max_string) bad("text argument longer than " + std::to_string(limits.max_string) + " bytes");
    std::string s(reinterpret_cast<const char*>(bytes.data + pos), n);
    pos += n + 1;
    return s;
  }
  std::string counted(uint64_t n) {
    const uint8_t* p = take(n);
    if (n > limits.max_string) bad("string of " + std::to_string(n) + " bytes is over the limit");
    return std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n));
  }

  // ---- stack
  size_t base() const { return marks.empty() ? 0 : marks.back(); }
  Node* pop() {
    if (stack.size() <= base()) bad("stack underflow");
    Node* n = stack.back();
    stack.pop_back();
    return n;
  }
  Node* top() {
    if (stack.size() <= base()) bad("stack underflow");
    return stack.back();
  }
  void push(Node* n) {
    if (stack.size() >= limits.max_stack)
      bad("more than " + std::to_string(limits.max_stack) + " values on the stack (limit)");
    stack.push_back(n);
  }
  void mark() {
    if (marks.size() >= limits.max_depth)
      bad("more than " + std::to_string(limits.max_depth) + " nested MARKs (limit)");
    marks.push_back(stack.size());
  }
  std::vector<Node*> pop_mark() {
    if (marks.empty()) bad("no MARK to pop to");
    std::vector<Node*> items(stack.begin() + static_cast<std::ptrdiff_t>(marks.back()), stack.end());
    stack.resize(marks.back());
    marks.pop_back();
    return items;
  }

  // ---- values
  Node* make(PickleKind kind) { return arena->make(kind); }
  Node* make_int(int64_t v) {
    Node* n = make(PickleKind::Int);
    n->i = v;
    return n;
  }
  Node* make_bool(bool v) {
    Node* n = make(PickleKind::Bool);
    n->flag = v;
    return n;
  }
  Node* make_text(PickleKind kind, std::string s) {
    Node* n = make(kind);
    n->text = std::move(s);
    return n;
  }
  Node* make_seq(PickleKind kind, std::vector<Node*> items) {
    Node* n = make(kind);
    n->items = std::move(items);
    return n;
  }
  Node* make_decimal(const std::string& text) {
    bool fits = false;
    int64_t v = 0;
    std::string decimal;
    if (!pickle_text::parse_decimal(text, &fits, &v, &decimal)) bad("malformed integer '" + printable(text) + "'");
    if (fits) return make_int(v);
    if (decimal.size() > limits.max_int_bytes * 5 / 2)
      bad("integer of " + std::to_string(decimal.size()) + " digits is too large");
    return make_text(PickleKind::BigInt, decimal);
  }
  Node* make_long(uint64_t n) {
    if (n > limits.max_int_bytes)
      bad("integer of " + std::to_string(n) + " bytes is too large (limit " +
          std::to_string(limits.max_int_bytes) + ")");
    const uint8_t* p = take(n);
    if (n <= 8) return make_int(pickle_text::twos_complement_to_int64(p, static_cast<size_t>(n)));
    return make_decimal(pickle_text::twos_complement_to_decimal(p, static_cast<size_t>(n)));
  }

  // ---- containers
  void dict_set(Node* d, Node* k, Node* v) {
    std::string fp;
    if (key_fingerprint(k, &fp)) {
      auto& index = dict_index[d];
      auto it = index.find(fp);
      if (it != index.end()) {
        d->items[it->second + 1] = v;  // Python overwrites the value, keeping the position
        return;
      }
      index.emplace(std::move(fp), d->items.size());
    }
    d->items.push_back(k);
    d->items.push_back(v);
  }
  void dict_set_pairs(Node* d, const std::vector<Node*>& kv) {
    if (kv.size() % 2) bad("odd number of items for a dict");
    for (size_t i = 0; i < kv.size(); i += 2) dict_set(d, kv[i], kv[i + 1]);
  }
  Node* expect_container(PickleKind kind, const char* op) {
    Node* target = top();
    if (target->kind != kind)
      bad(std::string(op) + " on a " + pickle_kind_name(target->kind) + ", not a " + pickle_kind_name(kind));
    return target;
  }

  // ---- globals and calls
  Node* make_global(const std::string& raw_module, const std::string& name) {
    const std::string module = normalize_global_module(raw_module);
    if (module.empty() || name.empty()) bad("empty global name");
    if (module.size() > 256 || name.size() > 256) bad("global name longer than 256 bytes");
    const std::string q = module + "." + name;
    const bool refuse = classify_global(module, name) == GlobalRole::Refused;
    if (refuse) {
      if (!scan) fail(where, "refused global '" + printable(q) + "' (not on the allow-list)");
      if (refused_seen.insert(q).second) refused.push_back(q);
    }
    Node* g = make_text(PickleKind::Global, q);
    g->i = static_cast<int64_t>(module.size());
    g->flag = refuse;
    return g;
  }

  Node* make_object(Node* cls, Node* args, Node* kwargs) {
    Node* o = make(PickleKind::Object);
    o->items = {cls, args, kwargs ? kwargs : make(PickleKind::None)};
    o->flag = cls->flag;
    return o;
  }

  Node* construct(Node* cls, Node* args, Node* kwargs, const char* op) {
    if (cls->kind != PickleKind::Global)
      bad(std::string(op) + " of a " + pickle_kind_name(cls->kind) + ", not a class or function");
    if (args->kind != PickleKind::Tuple)
      bad(std::string(op) + " arguments are a " + pickle_kind_name(args->kind) + ", not a tuple");
    if (kwargs && kwargs->kind != PickleKind::Dict) bad(std::string(op) + " keyword arguments are not a dict");
    if (cls->flag) return make_object(cls, args, kwargs);
    const std::string module = cls->text.substr(0, static_cast<size_t>(cls->i));
    const std::string name = cls->text.substr(static_cast<size_t>(cls->i) + 1);
    switch (classify_global(module, name)) {
      case GlobalRole::Refused: bad("refused global '" + printable(cls->text) + "'");
      case GlobalRole::Container: return build_container(cls, args, kwargs);
      case GlobalRole::Torch:
        if (call) {
          PickleBuilder builder(arena);
          PickleValue result = call(builder, Arena::wrap(arena, cls), Arena::wrap(arena, args));
          return builder.adopt(result);
        }
        return make_object(cls, args, kwargs);
      case GlobalRole::Metadata: return make_object(cls, args, kwargs);
    }
    return make_object(cls, args, kwargs);
  }

  static bool is_sequence(const Node* n) {
    return n->kind == PickleKind::Tuple || n->kind == PickleKind::List || n->kind == PickleKind::Set;
  }

  Node* build_container(Node* cls, Node* args, Node* kwargs) {
    const std::string& q = cls->text;
    const std::vector<Node*>& a = args->items;
    if (q == "collections.OrderedDict") {
      Node* d = make(PickleKind::Dict);
      if (a.size() > 1) bad("OrderedDict takes at most one argument");
      if (a.size() == 1) {
        arena->charge(a[0]->items.size());
        if (a[0]->kind == PickleKind::Dict) {
          dict_set_pairs(d, a[0]->items);
        } else if (is_sequence(a[0])) {
          for (Node* pair : a[0]->items) {
            if (!is_sequence(pair) || pair->items.size() != 2) bad("OrderedDict item is not a pair");
            dict_set(d, pair->items[0], pair->items[1]);
          }
        } else {
          bad("OrderedDict argument is a " + std::string(pickle_kind_name(a[0]->kind)));
        }
      }
      if (kwargs) {
        arena->charge(kwargs->items.size());
        dict_set_pairs(d, kwargs->items);
      }
      return d;
    }
    if (q == "builtins.set" || q == "builtins.frozenset") {
      if (a.size() > 1) bad(q + " takes at most one argument");
      if (a.size() == 1 && !is_sequence(a[0])) bad(q + " argument is not a sequence");
      if (a.size() == 1) arena->charge(a[0]->items.size());
      return make_seq(PickleKind::Set, a.empty() ? std::vector<Node*>{} : a[0]->items);
    }
    // bytearray(...) and _codecs.encode(text, 'latin1'): protocol 2 spellings of bytes.
    if (a.empty() && q == "builtins.bytearray") return make_text(PickleKind::Bytes, "");
    if (!a.empty()) arena->charge(a[0]->text.size() / 8);  // the copy below
    if (a.size() == 1 && a[0]->kind == PickleKind::Bytes && q == "builtins.bytearray")
      return make_text(PickleKind::Bytes, a[0]->text);
    if (a.size() == 2 && a[0]->kind == PickleKind::Str && a[1]->kind == PickleKind::Str &&
        (a[1]->text == "latin1" || a[1]->text == "latin-1")) {
      std::string out;
      if (pickle_text::utf8_to_latin1(a[0]->text, &out)) return make_text(PickleKind::Bytes, out);
    }
    return make_object(cls, args, kwargs);  // any other use stays an inert record
  }

  Node* persistent(Node* pid) {
    if (!persistent_load) bad("persistent id in a pickle that has no persistent storage");
    PickleBuilder builder(arena);
    PickleValue result = persistent_load(builder, Arena::wrap(arena, pid));
    return builder.adopt(result);
  }

  void set_state(Node* target, Node* state) {
    switch (target->kind) {
      case PickleKind::Object: case PickleKind::Dict: case PickleKind::List:
      case PickleKind::Set: case PickleKind::Tensor: case PickleKind::Storage:
        target->state = state;
        return;
      default: bad(std::string("BUILD on a ") + pickle_kind_name(target->kind));
    }
  }

  // ---- memo
  void memo_put(uint64_t index) {
    Node* v = top();
    auto it = memo.find(index);
    if (it != memo.end()) {
      it->second = v;
      return;
    }
    if (memo.size() >= limits.max_memo)
      bad("more than " + std::to_string(limits.max_memo) + " memo entries (limit)");
    memo.emplace(index, v);
  }
  Node* memo_get(uint64_t index) {
    auto it = memo.find(index);
    if (it == memo.end()) bad("memo entry " + std::to_string(index) + " is missing");
    return it->second;
  }
  uint64_t memo_index_text() {
    std::string text = line();
    bool fits = false;
    int64_t v = 0;
    std::string decimal;
    if (!pickle_text::parse_decimal(text, &fits, &v, &decimal) || !fits || v < 0)
      bad("malformed memo index '" + printable(text) + "'");
    return static_cast<uint64_t>(v);
  }

  // ---- result check
  // Refuses cycles and values nested deeper than max_depth, iteratively.
  void check_tree(Node* root) {
    const uint32_t e = ++epoch;
    struct Frame {
      Node* n;
      size_t next;
      uint32_t h;
    };
    std::vector<Frame> path;
    const std::string deep = "value nested deeper than " + std::to_string(limits.max_depth) + " levels (limit)";
    auto enter = [&](Node* n) {
      if (path.size() >= limits.max_depth) bad(deep);
      n->epoch = e;
      n->height = 0;
      path.push_back({n, 0, 1});
    };
    enter(root);
    while (!path.empty()) {
      Node* n = path.back().n;
      const size_t next = path.back().next;
      if (next < n->items.size() + (n->state ? 1 : 0)) {
        Node* c = next < n->items.size() ? n->items[next] : n->state;
        ++path.back().next;
        if (c->epoch != e) {
          enter(c);
        } else if (c->height == 0) {
          bad("recursive value (a container that contains itself)");
        } else {
          if (path.size() + c->height > limits.max_depth) bad(deep);
          path.back().h = std::max(path.back().h, c->height + 1);
        }
      } else {
        const uint32_t h = path.back().h;
        n->height = h;
        path.pop_back();
        if (!path.empty()) path.back().h = std::max(path.back().h, h + 1);
      }
    }
  }

  PickleValue run();
  bool step();
  Node* result = nullptr;
};

PickleValue Unpickler::State::run() {
  stack.clear();
  marks.clear();
  memo.clear();
  dict_index.clear();
  result = nullptr;
  while (step()) {
  }
  check_tree(result);
  stack.clear();
  marks.clear();
  memo.clear();
  dict_index.clear();
  return Arena::wrap(arena, result);
}

// Executes one opcode; false after STOP.
bool Unpickler::State::step() {
  op_pos = pos;
  if (left() == 0) bad("truncated: the pickle ends without STOP");
  const uint8_t op = u8();
  switch (op) {
    // -- framing, protocol, stop
    case 0x80: {  // PROTO
      uint8_t proto = u8();
      if (proto > 5) bad("unsupported pickle protocol " + std::to_string(proto));
      return true;
    }
    case 0x95: {  // FRAME: advisory; only check that the frame fits
      uint64_t n = le(8);
      if (n > left()) bad("truncated: frame of " + std::to_string(n) + " bytes, " + std::to_string(left()) + " left");
      return true;
    }
    case '.':  // STOP
      result = pop();
      return false;

    // -- stack manipulation
    case '(': mark(); return true;  // MARK
    case '0':  // POP: Python pops the mark itself when the frame above it is empty
      if (stack.size() > base()) stack.pop_back();
      else pop_mark();
      return true;
    case '1': pop_mark(); return true;  // POP_MARK
    case '2': push(top()); return true;  // DUP

    // -- constants and numbers
    case 'N': push(make(PickleKind::None)); return true;
    case 0x88: push(make_bool(true)); return true;   // NEWTRUE
    case 0x89: push(make_bool(false)); return true;  // NEWFALSE
    case 'I': {  // INT (text); 01/00 are protocol 0 booleans
      std::string text = line();
      if (text == "01" || text == "00") push(make_bool(text == "01"));
      else push(make_decimal(text));
      return true;
    }
    case 'L': {  // LONG (text, optional trailing L)
      std::string text = line();
      if (!text.empty() && (text.back() == 'L' || text.back() == 'l')) text.pop_back();
      push(make_decimal(text));
      return true;
    }
    case 'J': push(make_int(i32())); return true;                          // BININT
    case 'K': push(make_int(u8())); return true;                           // BININT1
    case 'M': push(make_int(static_cast<int64_t>(le(2)))); return true;    // BININT2
    case 0x8a: { uint64_t n = u8(); push(make_long(n)); return true; }     // LONG1
    case 0x8b: {                                                           // LONG4
      int32_t n = i32();
      if (n < 0) bad("negative LONG4 length");
      push(make_long(static_cast<uint64_t>(n)));
      return true;
    }
    case 'F': {  // FLOAT (text)
      std::string text = line();
      double v = 0;
      if (!pickle_text::parse_float(text, &v)) bad("malformed float '" + printable(text) + "'");
      Node* n = make(PickleKind::Float);
      n->f = v;
      push(n);
      return true;
    }
    case 'G': {  // BINFLOAT: big-endian IEEE double
      const uint8_t* p = take(8);
      uint64_t bits = 0;
      for (int k = 0; k < 8; ++k) bits = (bits << 8) | p[k];
      Node* n = make(PickleKind::Float);
      std::memcpy(&n->f, &bits, 8);
      push(n);
      return true;
    }

    // -- strings and bytes
    case 'S': {  // STRING: quoted literal
      std::string text = line(), out;
      if (!pickle_text::unescape_string_literal(text, &out)) bad("malformed STRING argument");
      push(make_text(PickleKind::Str, std::move(out)));
      return true;
    }
    case 'T': {  // BINSTRING
      int32_t n = i32();
      if (n < 0) bad("negative BINSTRING length");
      push(make_text(PickleKind::Str, counted(static_cast<uint64_t>(n))));
      return true;
    }
    case 'U': { uint64_t n = u8(); push(make_text(PickleKind::Str, counted(n))); return true; }  // SHORT_BINSTRING
    case 'V': {  // UNICODE (raw-unicode-escape text)
      std::string text = line(), out;
      if (!pickle_text::decode_raw_unicode_escape(text, &out)) bad("malformed UNICODE argument");
      push(make_text(PickleKind::Str, std::move(out)));
      return true;
    }
    case 'X': { uint64_t n = le(4); push(make_text(PickleKind::Str, counted(n))); return true; }   // BINUNICODE
    case 0x8c: { uint64_t n = u8(); push(make_text(PickleKind::Str, counted(n))); return true; }  // SHORT_BINUNICODE
    case 0x8d: { uint64_t n = le(8); push(make_text(PickleKind::Str, counted(n))); return true; } // BINUNICODE8
    case 'B': { uint64_t n = le(4); push(make_text(PickleKind::Bytes, counted(n))); return true; }   // BINBYTES
    case 'C': { uint64_t n = u8(); push(make_text(PickleKind::Bytes, counted(n))); return true; }    // SHORT_BINBYTES
    case 0x8e: { uint64_t n = le(8); push(make_text(PickleKind::Bytes, counted(n))); return true; }  // BINBYTES8
    case 0x96: { uint64_t n = le(8); push(make_text(PickleKind::Bytes, counted(n))); return true; }  // BYTEARRAY8

    // -- tuples, lists, dicts, sets
    case ')': push(make(PickleKind::Tuple)); return true;  // EMPTY_TUPLE
    case 't': push(make_seq(PickleKind::Tuple, pop_mark())); return true;  // TUPLE
    case 0x85: case 0x86: case 0x87: {  // TUPLE1..3
      size_t n = static_cast<size_t>(op - 0x84);
      std::vector<Node*> items(n);
      for (size_t k = n; k-- > 0;) items[k] = pop();
      push(make_seq(PickleKind::Tuple, std::move(items)));
      return true;
    }
    case ']': push(make(PickleKind::List)); return true;  // EMPTY_LIST
    case 'l': push(make_seq(PickleKind::List, pop_mark())); return true;  // LIST
    case 'a': {  // APPEND
      Node* v = pop();
      expect_container(PickleKind::List, "APPEND")->items.push_back(v);
      return true;
    }
    case 'e': {  // APPENDS
      std::vector<Node*> items = pop_mark();
      Node* list = expect_container(PickleKind::List, "APPENDS");
      list->items.insert(list->items.end(), items.begin(), items.end());
      return true;
    }
    case '}': push(make(PickleKind::Dict)); return true;  // EMPTY_DICT
    case 'd': {  // DICT
      std::vector<Node*> items = pop_mark();
      Node* d = make(PickleKind::Dict);
      dict_set_pairs(d, items);
      push(d);
      return true;
    }
    case 's': {  // SETITEM
      Node* v = pop();
      Node* k = pop();
      dict_set(expect_container(PickleKind::Dict, "SETITEM"), k, v);
      return true;
    }
    case 'u': {  // SETITEMS
      std::vector<Node*> items = pop_mark();
      dict_set_pairs(expect_container(PickleKind::Dict, "SETITEMS"), items);
      return true;
    }
    case 0x8f: push(make(PickleKind::Set)); return true;  // EMPTY_SET
    case 0x90: {  // ADDITEMS
      std::vector<Node*> items = pop_mark();
      Node* set = expect_container(PickleKind::Set, "ADDITEMS");
      set->items.insert(set->items.end(), items.begin(), items.end());
      return true;
    }
    case 0x91: push(make_seq(PickleKind::Set, pop_mark())); return true;  // FROZENSET

    // -- memo
    case 'p': memo_put(memo_index_text()); return true;  // PUT
    case 'q': memo_put(u8()); return true;               // BINPUT
    case 'r': memo_put(le(4)); return true;              // LONG_BINPUT
    case 0x94: memo_put(memo.size()); return true;       // MEMOIZE
    case 'g': push(memo_get(memo_index_text())); return true;  // GET
    case 'h': push(memo_get(u8())); return true;               // BINGET
    case 'j': push(memo_get(le(4))); return true;              // LONG_BINGET

    // -- globals, calls, objects
    case 'c': {  // GLOBAL
      std::string module = line();
      std::string name = line();
      push(make_global(module, name));
      return true;
    }
    case 0x93: {  // STACK_GLOBAL
      Node* name = pop();
      Node* module = pop();
      if (module->kind != PickleKind::Str || name->kind != PickleKind::Str)
        bad("STACK_GLOBAL needs two str values");
      push(make_global(module->text, name->text));
      return true;
    }
    case 'R': {  // REDUCE
      Node* args = pop();
      Node* fn = pop();
      push(construct(fn, args, nullptr, "REDUCE"));
      return true;
    }
    case 0x81: {  // NEWOBJ
      Node* args = pop();
      Node* cls = pop();
      push(construct(cls, args, nullptr, "NEWOBJ"));
      return true;
    }
    case 0x92: {  // NEWOBJ_EX
      Node* kwargs = pop();
      Node* args = pop();
      Node* cls = pop();
      push(construct(cls, args, kwargs, "NEWOBJ_EX"));
      return true;
    }
    case 'i': {  // INST: class named inline, args from the mark
      std::string module = line();
      std::string name = line();
      Node* cls = make_global(module, name);
      Node* args = make_seq(PickleKind::Tuple, pop_mark());
      push(construct(cls, args, nullptr, "INST"));
      return true;
    }
    case 'o': {  // OBJ: class and args from the mark
      std::vector<Node*> items = pop_mark();
      if (items.empty()) bad("OBJ without a class");
      Node* cls = items[0];
      Node* args = make_seq(PickleKind::Tuple, std::vector<Node*>(items.begin() + 1, items.end()));
      push(construct(cls, args, nullptr, "OBJ"));
      return true;
    }
    case 'b': {  // BUILD
      Node* state = pop();
      set_state(top(), state);
      return true;
    }
    case 'P': push(persistent(make_text(PickleKind::Str, line()))); return true;  // PERSID
    case 'Q': push(persistent(pop())); return true;                               // BINPERSID

    case 0x82: case 0x83: case 0x84:
      bad("extension registry codes (EXT1/EXT2/EXT4) are not supported");
    case 0x97: case 0x98:
      bad("out-of-band buffers (NEXT_BUFFER/READONLY_BUFFER) are not supported");
    default:
      bad("unknown pickle opcode " + hex_byte(op));
  }
}

Unpickler::Unpickler(ByteView bytes, std::string where, const PickleLimits& limits)
    : s_(std::make_unique<State>()) {
  s_->bytes = std::move(bytes);
  s_->where = std::move(where);
  s_->limits = limits;
  s_->arena = std::make_shared<Arena>(limits.max_values, s_->where);
}

Unpickler::~Unpickler() = default;

void Unpickler::set_persistent_load(PersistentLoad fn) { s_->persistent_load = std::move(fn); }
void Unpickler::set_call_handler(CallHandler fn) { s_->call = std::move(fn); }
void Unpickler::set_scan_mode(bool scan) { s_->scan = scan; }
PickleValue Unpickler::load() { return s_->run(); }
size_t Unpickler::position() const { return s_->pos; }
void Unpickler::seek(size_t position) { s_->pos = std::min(position, s_->bytes.size); }
const std::vector<std::string>& Unpickler::refused_globals() const { return s_->refused; }

PickleValue read_pickle(ByteView bytes, const std::string& where, const PickleLimits& limits) {
  Unpickler u(std::move(bytes), where, limits);
  return u.load();
}

}  // namespace vit
