#include "serve/listen_backlog.h"

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

namespace vit::serve {

namespace {

bool is_listening_on(int fd, int port) {
  int accepting = 0;
  socklen_t length = sizeof accepting;
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &length) != 0 || !accepting) return false;
  sockaddr_storage address{};
  length = sizeof address;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) return false;
  if (address.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&address)->sin_port) == port;
  if (address.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&address)->sin6_port) == port;
  return false;
}

}  // namespace

bool widen_listen_backlog(int port) {
  rlimit limit{};
  const int max_fd = getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < 65536 ? static_cast<int>(limit.rlim_cur)
                                                                                     : 65536;
  bool widened = false;
  for (int fd = 3; fd < max_fd; ++fd)
    if (is_listening_on(fd, port)) widened = ::listen(fd, SOMAXCONN) == 0 || widened;
  return widened;
}

}  // namespace vit::serve
