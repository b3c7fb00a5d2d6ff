// Debian's cpp-httplib is compiled with a listen backlog of 5, so a burst of new connections
// overflows it and the dropped ones retry only after a second; this raises it after binding.
#pragma once

namespace vit::serve {

// Calls listen(fd, SOMAXCONN) again on this process's listening TCP socket bound to `port`
// (Linux accepts a second listen() to change the backlog). False when none is found.
bool widen_listen_backlog(int port);

}  // namespace vit::serve
