#include "byte_view.h"

#include "error.h"

namespace vit {

ByteView ByteView::slice(size_t offset, size_t length, const std::string& where) const {
  if (offset > size || length > size - offset)
    fail(where, "range [" + std::to_string(offset) + ", +" + std::to_string(length) +
                    ") is past the end of " + std::to_string(size) + " bytes");
  return ByteView{data + offset, length, owner, file_pages};
}

ByteView own_bytes(std::string bytes) {
  auto holder = std::make_shared<std::string>(std::move(bytes));
  return ByteView{reinterpret_cast<const uint8_t*>(holder->data()), holder->size(), holder};
}

}  // namespace vit
