#ifndef VTOK_COPENBLAS_SHIM_H
#define VTOK_COPENBLAS_SHIM_H
#include <cblas.h>
#endif
