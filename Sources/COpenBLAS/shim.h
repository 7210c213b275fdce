#ifndef TEMPER_COPENBLAS_SHIM_H
#define TEMPER_COPENBLAS_SHIM_H
// OpenBLAS's CBLAS interface (sgemm/dgemm with transpose flags), its thread controls, and LAPACK's Cholesky.
#include <cblas.h>

// The LAPACK routines OpenBLAS ships (Fortran calling convention): Cholesky factor, solve, inverse.
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda, double *b, const int *ldb, int *info);
void dpotri_(const char *uplo, const int *n, double *a, const int *lda, int *info);
#endif
