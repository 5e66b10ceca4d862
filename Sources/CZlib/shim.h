#ifndef AUTOENC_CZLIB_SHIM_H
#define AUTOENC_CZLIB_SHIM_H
#include <zlib.h>

/// zlib's init functions are macros that pass the library version and struct size;
/// Swift cannot call macros, so they are wrapped here.

/// windowBits 15 + 16: a gzip member (ByteSource checks gzip's magic itself).
static inline int czlib_inflate_init_gzip(z_streamp strm) {
    return inflateInit2(strm, 15 + 16);
}

/// windowBits -15: raw deflate data, no header or trailer (a zip archive's deflated
/// member; the archive's directory carries its CRC-32 and sizes).
static inline int czlib_inflate_init_raw(z_streamp strm) {
    return inflateInit2(strm, -15);
}

/// A deflate stream at the given level, wrapped as windowBits says: 15 for a zlib
/// stream (PNG's IDAT format; what deflateInit(strm, level) makes), 15 + 16 for a gzip
/// member.
static inline int czlib_deflate_init(z_streamp strm, int level, int windowBits) {
    return deflateInit2(strm, level, Z_DEFLATED, windowBits, 8, Z_DEFAULT_STRATEGY);
}

#endif
