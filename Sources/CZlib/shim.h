#ifndef AUTOENC_CZLIB_SHIM_H
#define AUTOENC_CZLIB_SHIM_H
#include <zlib.h>

/// zlib's init functions are macros that pass the library version and struct size;
/// Swift cannot call macros, so they are wrapped here.

/// windowBits 15 + 32: accept a gzip or zlib header; we check for gzip ourselves.
static inline int czlib_inflate_init_gzip(z_streamp strm) {
    return inflateInit2(strm, 15 + 16);
}

/// A zlib-wrapped deflate stream (PNG's IDAT format), at the given level.
static inline int czlib_deflate_init(z_streamp strm, int level) {
    return deflateInit(strm, level);
}

#endif
