/* The kernels for any CPU: what the compiler targets by default (SSE2 on x86-64). */
#include "CKernels.h"
#define AE_TABLE ae_kernels_generic
#include "kernels_body.h"
