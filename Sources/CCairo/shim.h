#ifndef AUTOENC_CCAIRO_SHIM_H
#define AUTOENC_CCAIRO_SHIM_H
// cairo, the 2-D graphics library every chart is drawn through: one drawing, written by
// an image surface (PNG), an SVG surface or a PDF surface. Text uses cairo's own text
// calls with a font chosen by family name (fontconfig finds DejaVu Sans), so nothing
// beyond cairo is needed.
#include <cairo.h>
#include <cairo-pdf.h>
#include <cairo-svg.h>
#endif
