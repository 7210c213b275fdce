#ifndef TEMPER_CKERNELS_H
#define TEMPER_CKERNELS_H

/// Float32 kernels compiled twice, for AVX2 and for baseline x86-64, the CPU choosing at load
/// time (`target_clones`; one build elsewhere). Each computes exactly the Swift kernel it stands
/// for, operation by operation in the same order (no FMA contraction), so results are bit for bit
/// the same on either path.

/// `out[i, j] = bias[j] + Σₚ a[i, p]·b[p, j]` (`p` in order; without `bias` when it is NULL),
/// then `max(out, 0)` when `relu` (NaN stays NaN). `a` is m×k, `b` k×n, `out` m×n, row-major.
void temper_gemm_epilogue_f32(long m, long n, long k, const float *a, const float *b, const float *bias, int relu, float *out);

/// `c[i] = alpha·Σₚ a[i, p]·x[p]` (or `beta·c[i] + alpha·Σ…` when `beta` is not 0): each row's
/// products summed in eight lanes (lane l takes `p ≡ l mod 8` of the first `k − k mod 8`, in
/// order), the lanes added in order, then the tail in order. `a` is m×k, row-major.
void temper_gemv_f32(long m, long k, float alpha, const float *a, const float *x, float beta, float *c);

/// `y[r, j] = x[r, j]·scale[j] + shift[j]`, then `max(y, 0)` when `relu` (NaN stays NaN; −0 → 0);
/// `x` and `y` (rows × features, row-major) may be the same buffer.
void temper_scale_shift_f32(long rows, long features, const float *x, const float *scale, const float *shift, int relu, float *y);

/// `sums[j] = Σᵣ x[r, j]`, or with `center` `Σᵣ (x[r, j] − center[j])²`: each sum from 0, rows in order.
void temper_column_sums_f32(long rows, long features, const float *x, const float *center, float *sums);

/// Batch norm's backward sums: `sumD[j] = Σᵣ dy[r, j]` and `sumDX[j] = Σᵣ dy[r, j]·(x[r, j] − mean[j])`,
/// each from 0, rows in order.
void temper_bn_gradient_sums_f32(long rows, long features, const float *dy, const float *x, const float *mean, float *sumD, float *sumDX);

/// Batch norm's backward output: `dx[r, j] = (k1[j]·dy[r, j] + k2[j]·x[r, j]) + k0[j]`, then, when
/// `input_mask` is not 0, times `(x[r, j] > 0 ? 1 : 0)` (the backward of a ReLU that made `x`).
void temper_bn_gradient_output_f32(long rows, long features, const float *dy, const float *x, const float *k1, const float *k2, const float *k0,
                                   int input_mask, float *dx);

/// The small products' loop: `c[i, j] = start + Σₚ (alpha·a[i·aRow + p·aCol])·b[p·bStep + j]` for
/// `i < m`, `j < n`, `p < k` in order, with `start` 0 when `beta` is 0, `c[i, j]` when it is 1 and
/// `c[i, j]·beta` otherwise (`c` is m×n, row-major).
void temper_small_gemm_f32(long m, long n, long k, float alpha, const float *a, long aRow, long aCol, const float *b, long bStep, float beta,
                           float *c);

/// Batch norm's folded factors: `scale[j] = γ[j]/√(variance[j] + ε)` (1 without `gamma`) and
/// `shift[j] = β[j] − mean[j]·scale[j]` (0 − … without `beta`).
void temper_bn_fold_scale_shift_f32(long features, float epsilon, const float *mean, const float *variance, const float *gamma,
                                    const float *beta, float *scale, float *shift);

/// Batch norm's backward factors from the sums (`dbeta = Σ dy`, `dgamma = Σ dy·(x − μ)` on entry):
/// with `r = 1/√(variance + ε)` and `a = γ·r·(1/rows)` (γ = 1 without `gamma`): `dgamma ← dgamma·r`,
/// `k1 = a·rows`, `k2 = −a·r·dgamma`, `k0 = −a·dbeta − k2·mean`, so that `dx = k1·dy + k2·x + k0`.
void temper_bn_gradient_factors_f32(long rows, long features, float epsilon, const float *mean, const float *variance, const float *gamma,
                                    const float *dbeta, float *dgamma, float *k1, float *k2, float *k0);

/// Binary cross-entropy on logits, one per row: `loss[r] = max(z, 0) − z·y + log1p(exp(−|z|))`, with
/// `exp` and `log1p` as `FloatMath` computes them (Sources/Runtime/Scalar/FloatMath.swift).
void temper_bce_logits_f32(long rows, const float *z, const float *y, float *loss);

/// Its gradient: `gradient[r] = cotangent[r]·(1/(1 + exp(−z)) − y)`, `exp` as `FloatMath.exp`.
void temper_bce_logits_gradient_f32(long rows, const float *cotangent, const float *z, const float *y, float *gradient);

/// Adam's update of `count` values in place: `m ← m + (g − m)·c1`, `v ← v + (g² − v)·c2`,
/// `w ← w − m·alpha/(√v + epsilon)`, each operation rounded in order.
void temper_adam_f32(long count, float *w, const float *g, float *m, float *v, float alpha, float c1, float c2, float epsilon);

/// The ReLU's backward: `out[i] = g[i]·(y[i] > 0 ? 1 : 0)` (NaN·0 is NaN, −g·0 is −0, as the product
/// computes it); `out` may be `g` or `y`.
void temper_relu_backward_f32(long count, const float *g, const float *y, float *out);

#endif
