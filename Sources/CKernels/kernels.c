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
// Narrow rows: at most this many blocks of 8 columns (64 columns), each block walking down the rows.
#define MAX_BLOCKS 8

// One block of 8 output columns at `at`, down all the rows, with the bias and the first rows of `b`
// in registers (the last block overlapping the one before when n is not a multiple of 8: it
// rewrites the same values). START is the first term's sum, TERMS adds the others.
#define EPILOGUE_COLUMNS(START, TERMS) \
    for (long j = 0; j < n; j += 8) { \
        const long at = j > last ? last : j; \
        const v8 bias8 = bias ? LOAD8(bias + at) : zero, b0 = LOAD8(b + at), b1 = k > 1 ? LOAD8(b + n + at) : zero; \
        for (long i = 0; i < m; i++) { \
            const float *row = a + i * k; \
            v8 sum = START; \
            TERMS \
            STORE8(out + i * n + at, RELU8(sum)); \
            (void)bias8; (void)b1; \
        } \
    }
// Wide rows (more than 64 columns) go row by row instead: one row of the output, 8 columns at a
// time, so that the stores run along the row.
#define EPILOGUE_ROWS(START, TERMS) \
    for (long i = 0; i < m; i++) { \
        const float *row = a + i * k; \
        for (long j = 0; j < n; j += 8) { \
            const long at = j > last ? last : j; \
            const v8 bias8 = bias ? LOAD8(bias + at) : zero, b0 = LOAD8(b + at), b1 = k > 1 ? LOAD8(b + n + at) : zero; \
            v8 sum = START; \
            TERMS \
            STORE8(out + i * n + at, RELU8(sum)); \
            (void)bias8; (void)b1; \
        } \
    }
#define EPILOGUE(START, TERMS) if (n <= 8 * MAX_BLOCKS) { EPILOGUE_COLUMNS(START, TERMS) } else { EPILOGUE_ROWS(START, TERMS) }
#define WITH_BIAS (bias8 + SPLAT8(row[0]) * b0)
#define WITHOUT_BIAS (SPLAT8(row[0]) * b0)
#define ONE_MORE sum = sum + SPLAT8(row[1]) * b1;
#define ALL_MORE sum = sum + SPLAT8(row[1]) * b1; for (long p = 2; p < k; p++) sum = sum + SPLAT8(row[p]) * LOAD8(b + p * n + at);
#define RELU8(v) ((v8)((vi8)(v) & ~((zero >= (v)) & reluMask)))

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
    if (k == 1) {
        if (bias) { EPILOGUE(WITH_BIAS, ) } else { EPILOGUE(WITHOUT_BIAS, ) }
    } else if (k == 2) {
        if (bias) { EPILOGUE(WITH_BIAS, ONE_MORE) } else { EPILOGUE(WITHOUT_BIAS, ONE_MORE) }
    } else {
        if (bias) { EPILOGUE(WITH_BIAS, ALL_MORE) } else { EPILOGUE(WITHOUT_BIAS, ALL_MORE) }
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

// Narrow rows (8 to 64 features, as in the deck's models) go by blocks of eight columns: at 0, 8, …
// and, when the width is not a multiple of 8, one last block at features − 8 that overlaps the one
// before it. Reductions keep up to eight blocks' sums in registers down all the rows (the last
// block computes the same sums again). Elementwise kernels walk each block down the rows with its
// per-feature factors in registers, and store only the last block's columns that no other block
// covers, so they may write in place. Each value's arithmetic is the same as in the plain loops
// (the width of the blocks changes no result).
static inline long block_starts(long features, long *starts) {
    long count = 0;
    for (long j = 0; j + 8 <= features; j += 8) starts[count++] = j;
    if (features % 8) starts[count++] = features - 8;
    return count;
}

static inline int narrow(long features) { return features >= 8 && features <= 8 * MAX_BLOCKS; }

// CALL(n) for n the number of blocks (1…8), a constant in each case, so that loops over blocks unroll.
#define FOR_BLOCK_COUNT(count, CALL) \
    switch (count) { \
    case 1: CALL(1); break; case 2: CALL(2); break; case 3: CALL(3); break; case 4: CALL(4); break; \
    case 5: CALL(5); break; case 6: CALL(6); break; case 7: CALL(7); break; default: CALL(8); break; \
    }

#define RELU8(v) ((v8)((vi8)(v) & ~((zero >= (v)) & reluMask)))

// Stores lanes 8 − (features % 8) … 7 of `v` at `out + features − 8`: the columns past the last full block.
#define STORE_PAST_BODY(out, v) \
    for (long l_ = 8 - features % 8; l_ < 8; l_++) (out)[features - 8 + l_] = (v)[l_];

// Rows `first ..< end` in chunks of about 16 KB of one input, so that the blocks of columns walking
// down a chunk find it in L1.
#define FOR_ROW_CHUNKS \
    for (long first = 0, chunk_ = 4096 / features > 1 ? 4096 / features : 1, end = chunk_ < rows ? chunk_ : rows; first < rows; \
         first = end, end = end + chunk_ < rows ? end + chunk_ : rows)

TEMPER_CLONES
void temper_scale_shift_f32(long rows, long features, const float *x, const float *restrict scale, const float *restrict shift, int relu,
                            float *y) {
    const v8 zero = SPLAT8(0.0f);
    const vi8 reluMask = relu ? (vi8){-1, -1, -1, -1, -1, -1, -1, -1} : (vi8){0, 0, 0, 0, 0, 0, 0, 0};
    if (features >= 8) {
        const long body = features - features % 8;
        FOR_ROW_CHUNKS {
            for (long j = 0; j < body; j += 8) {
                const v8 s8 = LOAD8(scale + j), t8 = LOAD8(shift + j);
                for (long r = first; r < end; r++) {
                    const v8 v = LOAD8(x + r * features + j) * s8 + t8;
                    STORE8(y + r * features + j, RELU8(v));
                }
            }
            if (body < features) {
                const long last = features - 8;
                const v8 s8 = LOAD8(scale + last), t8 = LOAD8(shift + last);
                for (long r = first; r < end; r++) {
                    v8 v = LOAD8(x + r * features + last) * s8 + t8;
                    v = RELU8(v);
                    STORE_PAST_BODY(y + r * features, v)
                }
            }
        }
        return;
    }
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * features;
        float *yr = y + r * features;
        for (long j = 0; j < features; j++) {
            const float v = xr[j] * scale[j] + shift[j];
            yr[j] = relu ? scalar_relu(v) : v;
        }
    }
}

// Column reductions walk the rows in order and vectorize across the columns (each column its own
// sum, so the width of the vectors does not change any result).

static inline __attribute__((always_inline)) void column_sums_blocks(long rows, long features, const float *restrict x,
                                                                     const float *restrict center, float *restrict sums,
                                                                     const long *starts, const int count) {
    v8 acc[MAX_BLOCKS], mu[MAX_BLOCKS];
    for (int b = 0; b < count; b++) {
        acc[b] = SPLAT8(0.0f);
        mu[b] = center ? LOAD8(center + starts[b]) : SPLAT8(0.0f);
    }
    for (long r = 0; r < rows; r++) {
        const float *xr = x + r * features;
        for (int b = 0; b < count; b++) {
            const v8 v = LOAD8(xr + starts[b]);
            if (center) {
                const v8 d = v - mu[b];
                acc[b] = acc[b] + d * d;
            } else {
                acc[b] = acc[b] + v;
            }
        }
    }
    for (int b = 0; b < count; b++) STORE8(sums + starts[b], acc[b]);
}

TEMPER_CLONES
void temper_column_sums_f32(long rows, long features, const float *restrict x, const float *restrict center, float *restrict sums) {
    if (narrow(features)) {
        long starts[MAX_BLOCKS];
        const long count = block_starts(features, starts);
#define CENTERED(n) column_sums_blocks(rows, features, x, center, sums, starts, n)
#define PLAIN(n) column_sums_blocks(rows, features, x, 0, sums, starts, n)
        if (center) { FOR_BLOCK_COUNT(count, CENTERED) } else { FOR_BLOCK_COUNT(count, PLAIN) }
#undef CENTERED
#undef PLAIN
        return;
    }
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

// Up to four blocks at a time: two sums each in registers.
static inline __attribute__((always_inline)) void gradient_sums_blocks(long rows, long features, const float *restrict dy,
                                                                       const float *restrict x, const float *restrict mean,
                                                                       float *restrict sumD, float *restrict sumDX, const long *starts,
                                                                       const int count) {
    v8 d[4], dx[4], mu[4];
    for (int b = 0; b < count; b++) {
        d[b] = SPLAT8(0.0f);
        dx[b] = SPLAT8(0.0f);
        mu[b] = LOAD8(mean + starts[b]);
    }
    for (long r = 0; r < rows; r++) {
        const float *g = dy + r * features, *xr = x + r * features;
        for (int b = 0; b < count; b++) {
            const v8 gv = LOAD8(g + starts[b]);
            d[b] = d[b] + gv;
            dx[b] = dx[b] + gv * (LOAD8(xr + starts[b]) - mu[b]);
        }
    }
    for (int b = 0; b < count; b++) {
        STORE8(sumD + starts[b], d[b]);
        STORE8(sumDX + starts[b], dx[b]);
    }
}

TEMPER_CLONES
void temper_bn_gradient_sums_f32(long rows, long features, const float *restrict dy, const float *restrict x, const float *restrict mean,
                                 float *restrict sumD, float *restrict sumDX) {
    if (narrow(features)) {
        long starts[MAX_BLOCKS];
        const long count = block_starts(features, starts);
        for (long first = 0; first < count; first += 4) {
            const long group = count - first < 4 ? count - first : 4;
#define SUMS(n) gradient_sums_blocks(rows, features, dy, x, mean, sumD, sumDX, starts + first, n)
            switch (group) { case 1: SUMS(1); break; case 2: SUMS(2); break; case 3: SUMS(3); break; default: SUMS(4); break; }
#undef SUMS
        }
        return;
    }
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

// dx = k1·dy + k2·x + k0 on 8 columns of row r at `at`, times (x > 0 ? 1 : 0) with MASK (a macro:
// vectors cross no function boundary, whose ABI would differ between the two builds).
#define GRADIENT_OUTPUT8(r, at, MASK) ({ \
        const v8 xv_ = LOAD8(x + (r) * features + (at)); \
        const v8 v_ = a1 * LOAD8(dy + (r) * features + (at)) + a2 * xv_ + a0; \
        MASK(v_, xv_); \
    })
#define NO_MASK(v, xv) (v)
#define INPUT_MASK(v, xv) ((v) * (v8)((vi8)SPLAT8(1.0f) & (xv > SPLAT8(0.0f))))
#define GRADIENT_OUTPUT_BLOCKS(MASK) \
    FOR_ROW_CHUNKS { \
        for (long j = 0; j < body; j += 8) { \
            const v8 a1 = LOAD8(k1 + j), a2 = LOAD8(k2 + j), a0 = LOAD8(k0 + j); \
            for (long r = first; r < end; r++) STORE8(dx + r * features + j, GRADIENT_OUTPUT8(r, j, MASK)); \
        } \
        if (body < features) { \
            const long last = features - 8; \
            const v8 a1 = LOAD8(k1 + last), a2 = LOAD8(k2 + last), a0 = LOAD8(k0 + last); \
            for (long r = first; r < end; r++) { \
                const v8 v = GRADIENT_OUTPUT8(r, last, MASK); \
                STORE_PAST_BODY(dx + r * features, v) \
            } \
        } \
    }

TEMPER_CLONES
void temper_bn_gradient_output_f32(long rows, long features, const float *dy, const float *x, const float *restrict k1,
                                   const float *restrict k2, const float *restrict k0, int input_mask, float *dx) {
    if (features >= 8) {
        const long body = features - features % 8;
        if (input_mask) { GRADIENT_OUTPUT_BLOCKS(INPUT_MASK) } else { GRADIENT_OUTPUT_BLOCKS(NO_MASK) }
        return;
    }
    for (long r = 0; r < rows; r++) {
        const float *g = dy + r * features, *xr = x + r * features;
        float *out = dx + r * features;
        if (input_mask) {
            for (long j = 0; j < features; j++) out[j] = (k1[j] * g[j] + k2[j] * xr[j] + k0[j]) * (xr[j] > 0.0f ? 1.0f : 0.0f);
        } else {
            for (long j = 0; j < features; j++) out[j] = k1[j] * g[j] + k2[j] * xr[j] + k0[j];
        }
    }
}

// The small products' loop: for each output row i, c[i, j] = start + Σₚ (alpha·A(i, p))·b[p·bStep + j]
// with p in order and start = 0, c[i, j] or c[i, j]·beta (beta 0, 1, other). With one term, blocks
// of 8 columns go down all the rows (rows wider than 64 columns go row by row); with more, a row's
// blocks keep their sums in registers (`axpy_row_blocks`). The columns past the last full block come
// from an overlapping block of which only those lanes are stored, so c is read before it is written
// everywhere.
#define START_ZERO(at) SPLAT8(0.0f)
#define START_C(at) LOAD8(c + i * n + (at))
#define START_SCALED(at) (LOAD8(c + i * n + (at)) * SPLAT8(beta))
#define AXPY_SUM(START, at) ({ \
        v8 sum_ = START(at); \
        for (long p = 0; p < k; p++) sum_ = sum_ + SPLAT8(alpha * a[i * aRow + p * aCol]) * LOAD8(b + p * bStep + (at)); \
        sum_; \
    })
#define AXPY_COLUMNS(START) \
    if (k == 1) { \
        if (n > 8 * MAX_BLOCKS) { \
            /* wide rows: row by row, the stores along the row */ \
            for (long i = 0; i < m; i++) { \
                const v8 scaled = SPLAT8(alpha * a[i * aRow]); \
                for (long j = 0; j < body; j += 8) STORE8(c + i * n + j, START(j) + scaled * LOAD8(b + j)); \
            } \
        } else { \
            for (long j = 0; j < body; j += 8) { \
                const v8 first = LOAD8(b + j); \
                for (long i = 0; i < m; i++) STORE8(c + i * n + j, START(j) + SPLAT8(alpha * a[i * aRow]) * first); \
            } \
        } \
        if (body < n) { \
            for (long i = 0; i < m; i++) { \
                const v8 v = AXPY_SUM(START, last); \
                for (long l = 8 - n % 8; l < 8; l++) c[i * n + last + l] = v[l]; \
            } \
        } \
    } else { \
        for (long first = 0; first < count; first += MAX_BLOCKS) { \
            const long group = count - first < MAX_BLOCKS ? count - first : MAX_BLOCKS; \
            for (long q = 0; q < group; q++) starts[q] = (first + q) * 8 > last ? last : (first + q) * 8; \
            for (long i = 0; i < m; i++) { \
                FOR_BLOCK_COUNT(group, START##_ROW) \
            } \
        } \
    }

// Row i over `count` blocks at once (their sums in registers, p in order): each term's alpha·A(i, p)
// once for all blocks. A block that ends at column n but starts before `body` is the overlapping
// last one: only its lanes past `body` are stored.
static inline __attribute__((always_inline)) void axpy_row_blocks(long i, long n, long k, float alpha, const float *restrict a, long aRow,
                                                                  long aCol, const float *restrict b, long bStep, int start, float beta,
                                                                  float *restrict c, const long *starts, const int count) {
    v8 sum[MAX_BLOCKS];
    for (int q = 0; q < count; q++) {
        const v8 old = start == 0 ? SPLAT8(0.0f) : LOAD8(c + i * n + starts[q]);
        sum[q] = start == 2 ? old * SPLAT8(beta) : old;
    }
    for (long p = 0; p < k; p++) {
        const v8 scaled = SPLAT8(alpha * a[i * aRow + p * aCol]);
        for (int q = 0; q < count; q++) sum[q] = sum[q] + scaled * LOAD8(b + p * bStep + starts[q]);
    }
    for (int q = 0; q < count; q++) {
        if (starts[q] % 8 == 0) {
            STORE8(c + i * n + starts[q], sum[q]);
        } else {
            for (long l = 8 - n % 8; l < 8; l++) c[i * n + starts[q] + l] = sum[q][l];
        }
    }
}

TEMPER_CLONES
void temper_small_gemm_f32(long m, long n, long k, float alpha, const float *restrict a, long aRow, long aCol, const float *restrict b, long bStep,
                           float beta, float *restrict c) {
    if (n < 8) {
        for (long i = 0; i < m; i++) {
            for (long j = 0; j < n; j++) {
                float sum = beta == 0.0f ? 0.0f : beta == 1.0f ? c[i * n + j] : c[i * n + j] * beta;
                for (long p = 0; p < k; p++) sum = sum + (alpha * a[i * aRow + p * aCol]) * b[p * bStep + j];
                c[i * n + j] = sum;
            }
        }
        return;
    }
    const long body = n - n % 8, last = n - 8;
    const long count = (n + 7) / 8;   // blocks, the last overlapping when n is not a multiple of 8
    long starts[MAX_BLOCKS];
#define START_ZERO_ROW(q) axpy_row_blocks(i, n, k, alpha, a, aRow, aCol, b, bStep, 0, beta, c, starts, q)
#define START_C_ROW(q) axpy_row_blocks(i, n, k, alpha, a, aRow, aCol, b, bStep, 1, beta, c, starts, q)
#define START_SCALED_ROW(q) axpy_row_blocks(i, n, k, alpha, a, aRow, aCol, b, bStep, 2, beta, c, starts, q)
    if (beta == 0.0f) {
        AXPY_COLUMNS(START_ZERO)
    } else if (beta == 1.0f) {
        AXPY_COLUMNS(START_C)
    } else {
        AXPY_COLUMNS(START_SCALED)
    }
}

// Per-feature factors, 8 features at a time and then one by one (sqrt and division are exact in
// both, so the width changes no result).

TEMPER_CLONES
void temper_bn_fold_scale_shift_f32(long features, float epsilon, const float *restrict mean, const float *restrict variance,
                                    const float *restrict gamma, const float *restrict beta, float *restrict scale, float *restrict shift) {
    const long body = features - features % 8;
    for (long j = 0; j < body; j += 8) {
        const v8 root = __builtin_elementwise_sqrt(LOAD8(variance + j) + SPLAT8(epsilon));
        const v8 s8 = (gamma ? LOAD8(gamma + j) : SPLAT8(1.0f)) / root;
        STORE8(scale + j, s8);
        STORE8(shift + j, (beta ? LOAD8(beta + j) : SPLAT8(0.0f)) - LOAD8(mean + j) * s8);
    }
    for (long j = body; j < features; j++) {
        const float root = __builtin_elementwise_sqrt(variance[j] + epsilon);
        scale[j] = (gamma ? gamma[j] : 1.0f) / root;
        shift[j] = (beta ? beta[j] : 0.0f) - mean[j] * scale[j];
    }
}

TEMPER_CLONES
void temper_bn_gradient_factors_f32(long rows, long features, float epsilon, const float *restrict mean, const float *restrict variance,
                                    const float *restrict gamma, const float *restrict dbeta, float *restrict dgamma, float *restrict k1,
                                    float *restrict k2, float *restrict k0) {
    const float m = (float)rows, inverseRows = 1.0f / (float)rows;
    const long body = features - features % 8;
    for (long j = 0; j < body; j += 8) {
        const v8 reciprocal = SPLAT8(1.0f) / __builtin_elementwise_sqrt(LOAD8(variance + j) + SPLAT8(epsilon));
        const v8 dg = LOAD8(dgamma + j) * reciprocal;
        STORE8(dgamma + j, dg);
        const v8 a = (gamma ? LOAD8(gamma + j) : SPLAT8(1.0f)) * reciprocal * SPLAT8(inverseRows);
        const v8 f2 = -a * reciprocal * dg;
        STORE8(k1 + j, a * SPLAT8(m));
        STORE8(k2 + j, f2);
        STORE8(k0 + j, -a * LOAD8(dbeta + j) - f2 * LOAD8(mean + j));
    }
    for (long j = body; j < features; j++) {
        const float reciprocal = 1.0f / __builtin_elementwise_sqrt(variance[j] + epsilon);
        dgamma[j] = dgamma[j] * reciprocal;
        const float a = (gamma ? gamma[j] : 1.0f) * reciprocal * inverseRows;
        k1[j] = a * m;
        k2[j] = -a * reciprocal * dgamma[j];
        k0[j] = -a * dbeta[j] - k2[j] * mean[j];
    }
}

// Binary cross-entropy on logits, eight rows at a time and then one by one: FloatMath's exp and
// log1p (Sources/Runtime/Scalar/FloatMath.swift) operation by operation, with Swift's min and max
// (`max(x, y)` is `y >= x ? y : x`, `min(x, y)` is `y < x ? y : x`: a NaN x is kept).
typedef unsigned int vu8 __attribute__((vector_size(32)));
#define SELECT8(mask, a, b) ((v8)(((vi8)(a) & (mask)) | ((vi8)(b) & ~(mask))))
#define SWIFT_MAX8(x, y) SELECT8((y) >= (x), y, x)
#define SWIFT_MIN8(x, y) SELECT8((y) < (x), y, x)
#define BITS8(v) ((vu8)(v))

#define EXP8(x, out) do { \
        const v8 clamped_ = SWIFT_MIN8(SWIFT_MAX8(x, SPLAT8(-104.0f)), SPLAT8(89.0f)); \
        const v8 shifted_ = clamped_ * SPLAT8(1.44269504088896341f) + SPLAT8(12582912.0f); \
        const v8 n_ = shifted_ - SPLAT8(12582912.0f); \
        const v8 r_ = (clamped_ - n_ * SPLAT8(0.693359375f)) - n_ * SPLAT8(-2.12194440e-4f); \
        v8 p_ = SPLAT8(1.9875691500e-4f); \
        p_ = p_ * r_ + SPLAT8(1.3981999507e-3f); \
        p_ = p_ * r_ + SPLAT8(8.3334519073e-3f); \
        p_ = p_ * r_ + SPLAT8(4.1665795894e-2f); \
        p_ = p_ * r_ + SPLAT8(1.6666665459e-1f); \
        p_ = p_ * r_ + SPLAT8(5.0000001201e-1f); \
        const v8 expR_ = p_ * (r_ * r_) + r_ + SPLAT8(1.0f); \
        const vi8 exponent_ = (vi8)(BITS8(shifted_) - (vu8)SPLAT8(12582912.0f)); \
        const vi8 half_ = exponent_ >> 1; \
        const v8 first_ = (v8)(((vu8)half_ + 127u) << 23), second_ = (v8)(((vu8)(exponent_ - half_) + 127u) << 23); \
        (out) = expR_ * first_ * second_; \
    } while (0)

#define LOG1P8(x, out) do { \
        const v8 v_ = SPLAT8(1.0f) + (x); \
        const vu8 shiftedBits_ = BITS8(v_) + (0x3f800000u - 0x3f3504f3u); \
        const vi8 k_ = (vi8)(shiftedBits_ >> 23) - 127; \
        const v8 error_ = SELECT8(k_ >= 2, SPLAT8(1.0f) - (v_ - (x)), (x) - (v_ - SPLAT8(1.0f))); \
        const v8 correction_ = SELECT8(k_ < 25, error_ / v_, SPLAT8(0.0f)); \
        const v8 f_ = (v8)((shiftedBits_ & 0x007fffffu) + 0x3f3504f3u) - SPLAT8(1.0f); \
        const v8 s_ = f_ / (SPLAT8(2.0f) + f_); \
        const v8 z_ = s_ * s_, w_ = z_ * z_; \
        const v8 t1_ = w_ * (SPLAT8(0.40000972152f) + w_ * SPLAT8(0.24279078841f)); \
        const v8 t2_ = z_ * (SPLAT8(0.66666662693f) + w_ * SPLAT8(0.28498786688f)); \
        const v8 halfSquare_ = SPLAT8(0.5f) * f_ * f_; \
        const v8 dk_ = __builtin_convertvector(k_, v8); \
        v8 result_ = s_ * (halfSquare_ + (t2_ + t1_)) + (dk_ * SPLAT8(9.0580006145e-06f) + correction_) - halfSquare_ + f_ \
                     + dk_ * SPLAT8(6.9313812256e-01f); \
        result_ = SELECT8((x) < SPLAT8(-1.0f), SPLAT8(__builtin_nanf("")), result_); \
        result_ = SELECT8((x) == SPLAT8(-1.0f), SPLAT8(-__builtin_inff()), result_); \
        result_ = SELECT8((x) == SPLAT8(__builtin_inff()), (x), result_); \
        (out) = SELECT8(((x) != (x)) | ((x) == SPLAT8(0.0f)), (x), result_); \
    } while (0)

// Lanes 0 … count−1 of `p` into a vector (the others 0), and back.
#define PARTIAL_LOAD8(p, count) ({ v8 v_ = SPLAT8(0.0f); for (long l_ = 0; l_ < (count); l_++) v_[l_] = (p)[l_]; v_; })
#define PARTIAL_STORE8(p, v, count) for (long l_ = 0; l_ < (count); l_++) (p)[l_] = (v)[l_]

TEMPER_CLONES
void temper_bce_logits_f32(long rows, const float *restrict z, const float *restrict y, float *restrict loss) {
    for (long r = 0; r < rows; r += 8) {
        const long count = rows - r < 8 ? rows - r : 8;
        const v8 zv = count == 8 ? LOAD8(z + r) : PARTIAL_LOAD8(z + r, count);
        const v8 yv = count == 8 ? LOAD8(y + r) : PARTIAL_LOAD8(y + r, count);
        const v8 negativeMagnitude = (v8)(BITS8(zv) | 0x80000000u);   // −|z|
        v8 e, l;
        EXP8(negativeMagnitude, e);
        LOG1P8(e, l);
        const v8 value = SWIFT_MAX8(zv, SPLAT8(0.0f)) - zv * yv + l;
        if (count == 8) { STORE8(loss + r, value); } else { PARTIAL_STORE8(loss + r, value, count); }
    }
}

TEMPER_CLONES
void temper_bce_logits_gradient_f32(long rows, const float *restrict cotangent, const float *restrict z, const float *restrict y,
                                    float *restrict gradient) {
    for (long r = 0; r < rows; r += 8) {
        const long count = rows - r < 8 ? rows - r : 8;
        const v8 zv = count == 8 ? LOAD8(z + r) : PARTIAL_LOAD8(z + r, count);
        const v8 yv = count == 8 ? LOAD8(y + r) : PARTIAL_LOAD8(y + r, count);
        const v8 cv = count == 8 ? LOAD8(cotangent + r) : PARTIAL_LOAD8(cotangent + r, count);
        v8 e;
        EXP8(-zv, e);
        const v8 value = cv * (SPLAT8(1.0f) / (SPLAT8(1.0f) + e) - yv);
        if (count == 8) { STORE8(gradient + r, value); } else { PARTIAL_STORE8(gradient + r, value, count); }
    }
}

// Adam without AMSGrad, eight values at a time and then one by one (sqrt and division exact).
TEMPER_CLONES
void temper_adam_f32(long count, float *w, const float *g, float *m, float *v, float alpha, float c1, float c2,
                     float epsilon) {
    const long body = count - count % 8;
    for (long i = 0; i < body; i += 8) {
        const v8 gradient = LOAD8(g + i), oldM = LOAD8(m + i), oldV = LOAD8(v + i);
        const v8 newM = oldM + (gradient - oldM) * SPLAT8(c1);
        const v8 newV = oldV + (gradient * gradient - oldV) * SPLAT8(c2);
        STORE8(m + i, newM);
        STORE8(v + i, newV);
        STORE8(w + i, LOAD8(w + i) - newM * SPLAT8(alpha) / (__builtin_elementwise_sqrt(newV) + SPLAT8(epsilon)));
    }
    for (long i = body; i < count; i++) {
        const float gradient = g[i];
        const float newM = m[i] + (gradient - m[i]) * c1;
        const float newV = v[i] + (gradient * gradient - v[i]) * c2;
        m[i] = newM;
        v[i] = newV;
        w[i] = w[i] - newM * alpha / (__builtin_elementwise_sqrt(newV) + epsilon);
    }
}

// The ReLU's backward as the fused elementwise program `g · (y > 0)` computes it.
TEMPER_CLONES
void temper_relu_backward_f32(long count, const float *g, const float *y, float *out) {
    const long body = count - count % 8;
    for (long i = 0; i < body; i += 8) {
        const v8 yv = LOAD8(y + i);
        STORE8(out + i, LOAD8(g + i) * (v8)((vi8)SPLAT8(1.0f) & (yv > SPLAT8(0.0f))));
    }
    for (long i = body; i < count; i++) out[i] = g[i] * (y[i] > 0.0f ? 1.0f : 0.0f);
}
