#ifndef COFFER_CLEVELDB_SHIM_H
#define COFFER_CLEVELDB_SHIM_H
#include <leveldb/c.h>
#endif
