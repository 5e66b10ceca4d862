#ifndef AUTOENC_CBLAS_SHIM_H
#define AUTOENC_CBLAS_SHIM_H
#include <cblas.h>

/* OpenBLAS extensions (declared in OpenBLAS's cblas.h; repeated here so the shim
   documents exactly what autoenc uses beyond the CBLAS standard). */
char *openblas_get_corename(void);
char *openblas_get_config(void);
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
#endif
