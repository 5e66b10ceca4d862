#ifndef AUTOENC_CPNG_SHIM_H
#define AUTOENC_CPNG_SHIM_H
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

/// libpng reports errors by longjmp, which must never cross Swift frames: the one
/// function Swift calls, cpng_decode_gray8, sets the jump target itself, so a jump
/// only unwinds libpng's frames and lands back in it, which returns CPNG_ERROR.

/// What cpng_decode_gray8 found: the header (IHDR), and libpng's message on an error.
typedef struct {
    unsigned int width, height;
    int bit_depth, color_type, interlace;
    char message[160];
} cpng_result;

enum { CPNG_DECODED = 0, CPNG_OTHER_FORMAT = 1, CPNG_ERROR = 2 };

/// The file in memory, read by libpng through cpng_read.
typedef struct {
    const unsigned char *data;
    size_t size, offset;
} cpng_source;

static void cpng_read(png_structp png, png_bytep out, size_t length) {
    cpng_source *source = (cpng_source *)png_get_io_ptr(png);
    if (length > source->size - source->offset) png_error(png, "the file ends early (truncated)");
    memcpy(out, source->data + source->offset, length);
    source->offset += length;
}

static void cpng_error(png_structp png, png_const_charp message) {
    cpng_result *result = (cpng_result *)png_get_error_ptr(png);
    snprintf(result->message, sizeof result->message, "%s", message);
    png_longjmp(png, 1);
}

/// Warnings (a damaged ancillary chunk, which libpng skips) do not stop the decoding.
static void cpng_warning(png_structp png, png_const_charp message) {
    (void)png;
    (void)message;
}

/// Decodes data (a whole PNG file of size bytes) into out (width x height bytes, row by
/// row) when its header says it is an 8-bit grayscale image of exactly width x height
/// pixels, interlaced or not, and returns CPNG_DECODED. Any other image: returns
/// CPNG_OTHER_FORMAT, its header in result, having decoded nothing. A broken file:
/// CPNG_ERROR, libpng's message in result->message. The sample values are the file's,
/// with no gamma or colour conversion (as PIL reads them).
static inline int cpng_decode_gray8(const unsigned char *data, size_t size, unsigned int width,
                                    unsigned int height, unsigned char *out, cpng_result *result) {
    memset(result, 0, sizeof *result);
    cpng_source source = {data, size, 0};
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, result, cpng_error, cpng_warning);
    if (!png) {
        snprintf(result->message, sizeof result->message, "libpng could not start (out of memory)");
        return CPNG_ERROR;
    }
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        snprintf(result->message, sizeof result->message, "libpng could not start (out of memory)");
        return CPNG_ERROR;
    }
    // png and info are not changed after this point, so they keep their values after a jump.
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        return CPNG_ERROR;
    }
    png_set_read_fn(png, &source, cpng_read);
    png_read_info(png, info);
    result->width = png_get_image_width(png, info);
    result->height = png_get_image_height(png, info);
    result->bit_depth = png_get_bit_depth(png, info);
    result->color_type = png_get_color_type(png, info);
    result->interlace = png_get_interlace_type(png, info);
    if (result->width != width || result->height != height || result->bit_depth != 8
        || result->color_type != PNG_COLOR_TYPE_GRAY) {
        png_destroy_read_struct(&png, &info, NULL);
        return CPNG_OTHER_FORMAT;
    }
    // Adam7: each pass fills in its pixels of every row, so all passes over all rows
    // leave the whole image.
    int passes = png_set_interlace_handling(png);
    png_read_update_info(png, info);
    for (int pass = 0; pass < passes; pass++) {
        for (unsigned int y = 0; y < height; y++) png_read_row(png, out + (size_t)y * width, NULL);
    }
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    return CPNG_DECODED;
}

#endif
