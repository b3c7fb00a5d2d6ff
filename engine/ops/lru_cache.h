// A map that keeps only its most recently used entries: caches keyed by shape, where batch
// sizes or resolutions that vary without end would otherwise keep every entry ever made.
// Not synchronized: callers hold their own lock. Values are copied out, so an evicted value
// that a caller still holds stays alive through the caller's copy (for shared handles).
#pragma once
#include <cstddef>
#include <list>
#include <map>
#include <utility>

namespace vit {

template <typename Key, typename Value>
class LruCache {
 public:
  explicit LruCache(size_t capacity) : capacity_(capacity < 1 ? 1 : capacity) {}

  // The value under `key`, now the most recently used; false when absent.
  bool get(const Key& key, Value* value) {
    auto it = index_.find(key);
    if (it == index_.end()) return false;
    entries_.splice(entries_.begin(), entries_, it->second);
    *value = it->second->second;
    return true;
  }

  // Adds or replaces `key`, dropping the least recently used entry beyond the capacity.
  void put(const Key& key, Value value) {
    auto it = index_.find(key);
    if (it != index_.end()) {
      it->second->second = std::move(value);
      entries_.splice(entries_.begin(), entries_, it->second);
      return;
    }
    entries_.emplace_front(key, std::move(value));
    index_.emplace(key, entries_.begin());
    if (entries_.size() > capacity_) {
      index_.erase(entries_.back().first);
      entries_.pop_back();
    }
  }

  size_t size() const { return entries_.size(); }
  size_t capacity() const { return capacity_; }

 private:
  using Entries = std::list<std::pair<Key, Value>>;
  size_t capacity_;
  Entries entries_;  // most recently used first
  std::map<Key, typename Entries::iterator> index_;
};

}  // namespace vit
