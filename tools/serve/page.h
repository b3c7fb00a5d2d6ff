// The page served at "/": choose or drop an image, see its top-k with bars and the latency.
// Self-contained (inline CSS and JS, nothing fetched but this server's /v1/classify).
#pragma once

namespace vit::serve {

const char* page_html();

}  // namespace vit::serve
