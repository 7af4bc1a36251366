// The librados C API (Debian: librados-dev, which ships no pkg-config file; the module map
// links `rados`). Every librados call of Coffer goes through this module map.
#include <rados/librados.h>
