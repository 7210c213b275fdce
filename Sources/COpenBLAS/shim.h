#ifndef TEMPER_COPENBLAS_SHIM_H
#define TEMPER_COPENBLAS_SHIM_H
// OpenBLAS's CBLAS interface (sgemm/dgemm with transpose flags) and its thread controls.
#include <cblas.h>
#endif
