#include "CKernels.h"

// Every product and sum rounds on its own, as in the Swift kernels (no fused multiply-add).
#pragma clang fp contract(off)

#if defined(__x86_64__) && defined(__ELF__) && defined(__clang__)
#define TEMPER_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define TEMPER_CLONES
#endif

// Eight float lanes: one AVX register in the AVX2 build, two SSE registers in the baseline one.
typedef float v8 __attribute__((vector_size(32)));
typedef int vi8 __attribute__((vector_size(32)));
typedef float v8u __attribute__((vector_size(32), aligned(4)));
#define LOAD8(p) (*(const v8u *)(p))
#define STORE8(p, v) (*(v8u *)(p) = (v))
#define SPLAT8(x) ((v8){x, x, x, x, x, x, x, x})

// One row of the output, 8 columns at a time (the last block overlapping the one before when n is
// not a multiple of 8: it rewrites the same values). START(at) is the first term's sum.
#define EPILOGUE_ROW(START, TERMS) \
    for (long j = 0; j < n; j += 8) { \
        const long at = j > last ? last : j; \
        v8 sum = START(at); \
        TERMS(at) \
        sum = (v8)((vi8)sum & ~((zero >= sum) & reluMask)); \
        STORE8(o + at, sum); \
    }
#define WITH_BIAS(at) (LOAD8(bias + at) + SPLAT8(r0) * LOAD8(b + at))
#define WITHOUT_BIAS(at) (SPLAT8(r0) * LOAD8(b + at))
#define ONE_MORE(at) sum = sum + SPLAT8(r1) * LOAD8(b + n + at);
#define ALL_MORE(at) for (long p = 1; p < k; p++) { const float r = row[p]; sum = sum + SPLAT8(r) * LOAD8(b + p * n + at); }

static float scalar_relu(float x) { return 0.0f >= x ? 0.0f : x; }

TEMPER_CLONES
void temper_gemm_epilogue_f32(long m, long n, long k, const float *restrict a, const float *restrict b, const float *restrict bias, int relu, float *restrict out) {
    if (n < 8) {
        for (long i = 0; i < m; i++) {
            const float *row = a + i * k;
            for (long j = 0; j < n; j++) {
                float sum = bias ? bias[j] + row[0] * b[j] : row[0] * b[j];
                for (long p = 1; p < k; p++) sum = sum + row[p] * b[p * n + j];
                out[i * n + j] = relu ? scalar_relu(sum) : sum;
            }
        }
        return;
    }
    const v8 zero = SPLAT8(0.0f);
    const vi8 reluMask = relu ? (vi8){-1, -1, -1, -1, -1, -1, -1, -1} : (vi8){0, 0, 0, 0, 0, 0, 0, 0};
    const long last = n - 8;
    for (long i = 0; i < m; i++) {
        const float *row = a + i * k;
        float *o = out + i * n;
        const float r0 = row[0], r1 = k > 1 ? row[1] : 0.0f;
        if (k == 2) {
            if (bias) { EPILOGUE_ROW(WITH_BIAS, ONE_MORE) } else { EPILOGUE_ROW(WITHOUT_BIAS, ONE_MORE) }
        } else {
            if (bias) { EPILOGUE_ROW(WITH_BIAS, ALL_MORE) } else { EPILOGUE_ROW(WITHOUT_BIAS, ALL_MORE) }
        }
    }
}

// Row i's dot product from its eight lane sums: the lanes added in order, then the tail.
#define FINISH_ROW(i, lanes) do { \
        const float *row_ = a + (i) * k; \
        float total_ = (lanes)[0]; \
        for (int l_ = 1; l_ < 8; l_++) total_ += (lanes)[l_]; \
        for (long p_ = body; p_ < k; p_++) total_ += row_[p_] * x[p_]; \
        c[i] = beta == 0.0f ? alpha * total_ : beta * c[i] + alpha * total_; \
    } while (0)

TEMPER_CLONES
void temper_gemv_f32(long m, long k, float alpha, const float *restrict a, const float *restrict x, float beta, float *restrict c) {
    const long body = k - k % 8;
    long i = 0;
    for (; i + 4 <= m; i += 4) {
        const float *r0 = a + i * k, *r1 = r0 + k, *r2 = r1 + k, *r3 = r2 + k;
        v8 l0 = SPLAT8(0.0f), l1 = SPLAT8(0.0f), l2 = SPLAT8(0.0f), l3 = SPLAT8(0.0f);
        for (long p = 0; p < body; p += 8) {
            const v8 v = LOAD8(x + p);
            l0 = l0 + LOAD8(r0 + p) * v;
            l1 = l1 + LOAD8(r1 + p) * v;
            l2 = l2 + LOAD8(r2 + p) * v;
            l3 = l3 + LOAD8(r3 + p) * v;
        }
        FINISH_ROW(i, l0);
        FINISH_ROW(i + 1, l1);
        FINISH_ROW(i + 2, l2);
        FINISH_ROW(i + 3, l3);
    }
    for (; i < m; i++) {
        const float *r = a + i * k;
        v8 lanes = SPLAT8(0.0f);
        for (long p = 0; p < body; p += 8) lanes = lanes + LOAD8(r + p) * LOAD8(x + p);
        FINISH_ROW(i, lanes);
    }
}

TEMPER_CLONES
void temper_scale_shift_f32(long rows, long features, const float *x, const float *restrict scale, const float *restrict shift, int relu,
                            float *y) {
    const v8 zero = SPLAT8(0.0f);
    const vi8 reluMask = relu ? (vi8){-1, -1, -1, -1, -1, -1, -1, -1} : (vi8){0, 0, 0, 0, 0, 0, 0, 0};
    const long body = features - features % 8;
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * features;
        float *yr = y + r * features;
        for (long j = 0; j < body; j += 8) {
            v8 v = LOAD8(xr + j) * LOAD8(scale + j) + LOAD8(shift + j);
            v = (v8)((vi8)v & ~((zero >= v) & reluMask));
            STORE8(yr + j, v);
        }
        for (long j = body; j < features; j++) {
            const float v = xr[j] * scale[j] + shift[j];
            yr[j] = relu ? scalar_relu(v) : v;
        }
    }
}

// Column reductions walk the rows in order and vectorize across the columns (each column its own
// sum, so the width of the vectors does not change any result).

TEMPER_CLONES
void temper_column_sums_f32(long rows, long features, const float *restrict x, const float *restrict center, float *restrict sums) {
    for (long j = 0; j < features; j++) sums[j] = 0.0f;
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * features;
        if (center) {
            for (long j = 0; j < features; j++) {
                const float d = xr[j] - center[j];
                sums[j] = sums[j] + d * d;
            }
        } else {
            for (long j = 0; j < features; j++) sums[j] = sums[j] + xr[j];
        }
    }
}

TEMPER_CLONES
void temper_bn_gradient_sums_f32(long rows, long features, const float *restrict dy, const float *restrict x, const float *restrict mean,
                                 float *restrict sumD, float *restrict sumDX) {
    for (long j = 0; j < features; j++) {
        sumD[j] = 0.0f;
        sumDX[j] = 0.0f;
    }
    for (long r = 0; r < rows; r++) {
        const float *g = dy + r * features, *xr = x + r * features;
        for (long j = 0; j < features; j++) {
            sumD[j] = sumD[j] + g[j];
            sumDX[j] = sumDX[j] + g[j] * (xr[j] - mean[j]);
        }
    }
}

TEMPER_CLONES
void temper_bn_gradient_output_f32(long rows, long features, const float *restrict dy, const float *restrict x, const float *restrict k1,
                                   const float *restrict k2, const float *restrict k0, float *restrict dx) {
    for (long r = 0; r < rows; r++) {
        const float *g = dy + r * features, *xr = x + r * features;
        float *out = dx + r * features;
        for (long j = 0; j < features; j++) out[j] = k1[j] * g[j] + k2[j] * xr[j] + k0[j];
    }
}
