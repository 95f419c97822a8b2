// The kernels' bodies, compiled once per instruction set: each Instance*.c file defines
// CK_SUFFIX and puts a target attribute on every function, then includes this file. Most loops
// are written for the auto-vectoriser (unit-stride accesses, outputs through restrict pointers),
// which widens them to the target's registers; the input transforms and the sums use clang
// vector types of a fixed lane count (4, 8 or 16), which each instance lowers to its registers.
//
// Exactness: contraction of a * b + c into one FMA is switched off, and sums keep eight double
// lanes whatever the register width, so every instance rounds exactly as the baseline does.
// Why not FMA: these loops are bound by memory traffic, not by arithmetic (a transform does a
// dozen additions per value it loads or stores), so fused rounding would buy little speed and
// cost the paths' bit-for-bit agreement, which the tests and the parity checks rely on.
#pragma clang fp contract(off)

#define CK_PASTE2(a, b) a##_##b
#define CK_PASTE(a, b) CK_PASTE2(a, b)
#define CK_NAME(name) CK_PASTE(name, CK_SUFFIX)
#define CK_INLINE static inline __attribute__((always_inline))

/// Tiles the output transforms take per step: bounds their scratch arrays on the stack.
#define CK_BLOCK 64

typedef float ck_float4 __attribute__((ext_vector_type(4)));
typedef float ck_float8 __attribute__((ext_vector_type(8)));
typedef float ck_float16 __attribute__((ext_vector_type(16)));
typedef float ck_float32 __attribute__((ext_vector_type(32)));

// MARK: Winograd F(2x2, 3x3)

#define CK_EVEN8 0, 2, 4, 6, 8, 10, 12, 14
#define CK_ODD8 1, 3, 5, 7, 9, 11, 13, 15
#define CK_EVEN4 0, 2, 4, 6
#define CK_ODD4 1, 3, 5, 7

/// Bᵀ d B for G neighbouring 4x4 tiles at `d`, one vector lane per tile (the old Swift loop's
/// form, which beat every loop the vectoriser made of these short rows): the four columns of a
/// patch row are the even and odd elements of two loads 2 floats apart; t = Bᵀ d combines rows,
/// then t B combines columns (c0 - c2, c1 + c2, c2 - c1, c1 - c3), G outputs per store.
/// Clang vector types, so every instance does the same lane-wise operations: 8 lanes are one
/// ymm register with AVX2 and AVX-512, two xmm registers on the baseline.
#define CK_INPUT_F2_GROUP(G, LANES, ROW)                                                        \
    CK_INLINE void CK_NAME(input_f2_group##G)(const float *d, long pw, float *out, long s) {  \
        LANES c[4][4];                                                                         \
        for (int k = 0; k < 4; k++) {                                                          \
            ROW a, b;                                                                          \
            __builtin_memcpy(&a, d + k * pw, sizeof a);                                        \
            __builtin_memcpy(&b, d + k * pw + 2, sizeof b);                                    \
            c[k][0] = __builtin_shufflevector(a, a, CK_EVEN##G);                               \
            c[k][1] = __builtin_shufflevector(a, a, CK_ODD##G);                                \
            c[k][2] = __builtin_shufflevector(b, b, CK_EVEN##G);                               \
            c[k][3] = __builtin_shufflevector(b, b, CK_ODD##G);                                \
        }                                                                                      \
        for (int k = 0; k < 4; k++) {                                                          \
            LANES t[4];                                                                        \
            for (int j = 0; j < 4; j++) {                                                      \
                LANES r0 = c[0][j], r1 = c[1][j], r2 = c[2][j], r3 = c[3][j];                  \
                t[j] = k == 0 ? r0 - r2 : k == 1 ? r1 + r2 : k == 2 ? r2 - r1 : r1 - r3;       \
            }                                                                                  \
            LANES v[4] = {t[0] - t[2], t[1] + t[2], t[2] - t[1], t[1] - t[3]};                 \
            for (int m = 0; m < 4; m++) __builtin_memcpy(out + (4 * k + m) * s, &v[m], sizeof v[m]); \
        }                                                                                      \
    }

CK_INPUT_F2_GROUP(8, ck_float8, ck_float16)
CK_INPUT_F2_GROUP(4, ck_float4, ck_float8)

/// One tile at a time, for the last 1 to 3 tiles of a row.
CK_INLINE void CK_NAME(input_f2_tile)(const float *d, long pw, float *out, long s) {
    float t[4][4];
    for (int j = 0; j < 4; j++) {
        float r0 = d[j], r1 = d[pw + j], r2 = d[2 * pw + j], r3 = d[3 * pw + j];
        t[0][j] = r0 - r2; t[1][j] = r1 + r2; t[2][j] = r2 - r1; t[3][j] = r1 - r3;
    }
    for (int k = 0; k < 4; k++) {
        out[(4 * k) * s] = t[k][0] - t[k][2];
        out[(4 * k + 1) * s] = t[k][1] + t[k][2];
        out[(4 * k + 2) * s] = t[k][2] - t[k][1];
        out[(4 * k + 3) * s] = t[k][1] - t[k][3];
    }
}

void CK_NAME(ck_winograd_input_f2)(const float *padded, long pw, long tiles_h, long tiles_w, float *out, long s) {
    for (long ty = 0; ty < tiles_h; ty++) {
        const float *row = padded + 2 * ty * pw;
        float *o = out + ty * tiles_w;
        long tx = 0;
        for (; tx + 8 <= tiles_w; tx += 8) CK_NAME(input_f2_group8)(row + 2 * tx, pw, o + tx, s);
        for (; tx + 4 <= tiles_w; tx += 4) CK_NAME(input_f2_group4)(row + 2 * tx, pw, o + tx, s);
        for (; tx < tiles_w; tx++) CK_NAME(input_f2_tile)(row + 2 * tx, pw, o + tx, s);
    }
}

/// The channel's output map on one value (Swift's ChannelMap.apply); `affine` and `relu` are
/// constants where it is inlined, so each variant's loop has no branches.
CK_INLINE float CK_NAME(apply)(float v, ck_channel_map map, int affine, int relu) {
    v = v + map.bias;
    if (affine) v = (v - map.mean) * map.scale + map.shift;
    if (relu) v = v < 0 ? 0 : v;   // NaN is not below zero: it stays NaN, as torch.relu
    return v;
}

/// Aᵀ m A for `count` consecutive tiles of a plane (m[ξ * s + t]), unmapped: the left and right
/// outputs of each tile's top and bottom row (a0/a1 = rows of Aᵀ m, then left = a0 + a1 + a2,
/// right = a1 - a2 - a3). One loop over all the tiles, across tile rows: the rows of the lesson's
/// planes hold 2 to 16 tiles, too few for 16-wide registers.
CK_INLINE void CK_NAME(output_f2_tiles)(const float *restrict m, long s, long count, float (*restrict out)[CK_BLOCK]) {
    for (long t = 0; t < count; t++) {
        float v[16];
        for (int xi = 0; xi < 16; xi++) v[xi] = m[xi * s + t];
        float a0[4], a1[4];
        for (int j = 0; j < 4; j++) { a0[j] = v[j] + v[4 + j] + v[8 + j]; a1[j] = v[4 + j] - v[8 + j] - v[12 + j]; }
        out[0][t] = a0[0] + a0[1] + a0[2]; out[1][t] = a0[1] - a0[2] - a0[3];
        out[2][t] = a1[0] + a1[1] + a1[2]; out[3][t] = a1[1] - a1[2] - a1[3];
    }
}

/// Writes `count` tiles of tile row `ty` from column tile `tx` on (their values from `first` in
/// `y`), mapped, interleaved into the plane; edge tiles of odd sides are clipped.
CK_INLINE void CK_NAME(output_f2_store)(float (*restrict y)[CK_BLOCK], long first, long count, long ty, long tx,
                                        ck_channel_map map, float *restrict plane, long height, long width,
                                        int affine, int relu) {
    long whole = width / 2 - tx < count ? width / 2 - tx : count;   // tiles whose both columns are inside
    for (int r = 0; r < 2 && 2 * ty + r < height; r++) {
        float *row = plane + (2 * ty + r) * width + 2 * tx;
        const float *left = y[2 * r] + first, *right = y[2 * r + 1] + first;
        for (long t = 0; t < whole; t++) {
            row[2 * t] = CK_NAME(apply)(left[t], map, affine, relu);
            row[2 * t + 1] = CK_NAME(apply)(right[t], map, affine, relu);
        }
        if (whole < count) row[2 * whole] = CK_NAME(apply)(left[whole], map, affine, relu);
    }
}

CK_INLINE void CK_NAME(output_f2_plane)(const float *m, long s, long tiles_h, long tiles_w, ck_channel_map map,
                                        float *plane, long height, long width, int affine, int relu) {
    float y[4][CK_BLOCK];
    long tiles = tiles_h * tiles_w;
    for (long first = 0; first < tiles; first += CK_BLOCK) {
        long count = tiles - first < CK_BLOCK ? tiles - first : CK_BLOCK;
        CK_NAME(output_f2_tiles)(m + first, s, count, y);
        // The block's tiles, one piece of a tile row at a time.
        for (long t = first; t < first + count;) {
            long ty = t / tiles_w, tx = t % tiles_w;
            long piece = tiles_w - tx < first + count - t ? tiles_w - tx : first + count - t;
            CK_NAME(output_f2_store)(y, t - first, piece, ty, tx, map, plane, height, width, affine, relu);
            t += piece;
        }
    }
}

void CK_NAME(ck_winograd_output_f2)(const float *m, long s, long tiles_h, long tiles_w, ck_channel_map map,
                                    float *plane, long height, long width) {
    if (map.affine) {
        if (map.relu) CK_NAME(output_f2_plane)(m, s, tiles_h, tiles_w, map, plane, height, width, 1, 1);
        else CK_NAME(output_f2_plane)(m, s, tiles_h, tiles_w, map, plane, height, width, 1, 0);
    } else {
        if (map.relu) CK_NAME(output_f2_plane)(m, s, tiles_h, tiles_w, map, plane, height, width, 0, 1);
        else CK_NAME(output_f2_plane)(m, s, tiles_h, tiles_w, map, plane, height, width, 0, 0);
    }
}

// MARK: Winograd F(4x4, 3x3)

/// Bᵀ x for six values, scalars or vectors (WinogradF4.swift's former inputRowsF4, same order of
/// operations): a macro rather than a function, so that it takes both.
#define CK_INPUT_ROWS_F4(x0, x1, x2, x3, x4, x5, out)                                 \
    do {                                                                             \
        __typeof__(x0) a_ = (x4) - 4 * (x2), b_ = (x3) - 4 * (x1);                   \
        __typeof__(x0) c_ = (x4) - (x2), d_ = 2 * ((x3) - (x1));                     \
        (out)[0] = 4 * (x0) - 5 * (x2) + (x4);                                       \
        (out)[1] = a_ + b_; (out)[2] = a_ - b_; (out)[3] = c_ + d_; (out)[4] = c_ - d_; \
        (out)[5] = 4 * (x1) - 5 * (x3) + (x5);                                       \
    } while (0)

#define CK_COL8(j) j, j + 4, j + 8, j + 12, j + 16, j + 20, j + 24, j + 28
#define CK_COL4(j) j, j + 4, j + 8, j + 12

/// Bᵀ d B for G neighbouring 6x6 tiles (4 apart) at `d`, one vector lane per tile, as
/// input_f2_group: the six columns of a patch row are every fourth element of two loads 4
/// floats apart; t = Bᵀ d column by column, then each row of t through Bᵀ.
#define CK_INPUT_F4_GROUP(G, LANES, ROW)                                                         \
    CK_INLINE void CK_NAME(input_f4_group##G)(const float *d, long pw, float *out, long s) {   \
        LANES c[6][6], t[6][6];                                                                 \
        for (int k = 0; k < 6; k++) {                                                           \
            ROW a, b;                                                                           \
            __builtin_memcpy(&a, d + k * pw, sizeof a);                                         \
            __builtin_memcpy(&b, d + k * pw + 4, sizeof b);                                     \
            c[k][0] = __builtin_shufflevector(a, a, CK_COL##G(0));                              \
            c[k][1] = __builtin_shufflevector(a, a, CK_COL##G(1));                              \
            c[k][2] = __builtin_shufflevector(a, a, CK_COL##G(2));                              \
            c[k][3] = __builtin_shufflevector(a, a, CK_COL##G(3));                              \
            c[k][4] = __builtin_shufflevector(b, b, CK_COL##G(0));                              \
            c[k][5] = __builtin_shufflevector(b, b, CK_COL##G(1));                              \
        }                                                                                       \
        for (int j = 0; j < 6; j++) {                                                           \
            LANES column[6];                                                                    \
            CK_INPUT_ROWS_F4(c[0][j], c[1][j], c[2][j], c[3][j], c[4][j], c[5][j], column);    \
            for (int i = 0; i < 6; i++) t[i][j] = column[i];                                    \
        }                                                                                       \
        for (int i = 0; i < 6; i++) {                                                           \
            LANES v[6];                                                                         \
            CK_INPUT_ROWS_F4(t[i][0], t[i][1], t[i][2], t[i][3], t[i][4], t[i][5], v);         \
            for (int j = 0; j < 6; j++) __builtin_memcpy(out + (6 * i + j) * s, &v[j], sizeof v[j]); \
        }                                                                                       \
    }

CK_INPUT_F4_GROUP(8, ck_float8, ck_float32)
CK_INPUT_F4_GROUP(4, ck_float4, ck_float16)

/// One tile at a time, for the last 1 to 3 tiles of a row.
CK_INLINE void CK_NAME(input_f4_tile)(const float *d, long pw, float *out, long s) {
    float t[6][6];
    for (int j = 0; j < 6; j++) {
        float column[6];
        CK_INPUT_ROWS_F4(d[j], d[pw + j], d[2 * pw + j], d[3 * pw + j], d[4 * pw + j], d[5 * pw + j], column);
        for (int i = 0; i < 6; i++) t[i][j] = column[i];
    }
    for (int i = 0; i < 6; i++) {
        float v[6];
        CK_INPUT_ROWS_F4(t[i][0], t[i][1], t[i][2], t[i][3], t[i][4], t[i][5], v);
        for (int j = 0; j < 6; j++) out[(6 * i + j) * s] = v[j];
    }
}

void CK_NAME(ck_winograd_input_f4)(const float *padded, long pw, long tiles_h, long tiles_w, float *out, long s) {
    for (long ty = 0; ty < tiles_h; ty++) {
        const float *row = padded + 4 * ty * pw;
        float *o = out + ty * tiles_w;
        long tx = 0;
        for (; tx + 8 <= tiles_w; tx += 8) CK_NAME(input_f4_group8)(row + 4 * tx, pw, o + tx, s);
        for (; tx + 4 <= tiles_w; tx += 4) CK_NAME(input_f4_group4)(row + 4 * tx, pw, o + tx, s);
        for (; tx < tiles_w; tx++) CK_NAME(input_f4_tile)(row + 4 * tx, pw, o + tx, s);
    }
}

/// Aᵀ x, component `k`, for six values (outputRowsF4, same order of operations).
CK_INLINE float CK_NAME(output_row_f4)(int k, float x0, float x1, float x2, float x3, float x4, float x5) {
    float s12 = x1 + x2, d12 = x1 - x2, s34 = x3 + x4, d34 = x3 - x4;
    switch (k) {
    case 0: return x0 + s12 + s34;
    case 1: return d12 + 2 * d34;
    case 2: return s12 + 4 * s34;
    default: return d12 + 8 * d34 + x5;
    }
}

/// y = (Aᵀ m) A for `count` consecutive tiles of a plane, unmapped: output row r, column k of
/// tile t in y[4r + k][t]. One loop across tile rows, as for F(2x2, 3x3).
CK_INLINE void CK_NAME(output_f4_tiles)(const float *restrict m, long s, long count, float (*restrict y)[CK_BLOCK]) {
    for (long t = 0; t < count; t++) {
        // The inner loops unrolled, so that the loop over tiles is the one vectorised (left alone,
        // the vectoriser took the 36 loads, strided by s, and ran the arithmetic scalar: 3x slower).
        float v[36], c[6][4];
        _Pragma("clang loop unroll(full)")
        for (int xi = 0; xi < 36; xi++) v[xi] = m[xi * s + t];
        _Pragma("clang loop unroll(full)")
        for (int j = 0; j < 6; j++)
            for (int r = 0; r < 4; r++)
                c[j][r] = CK_NAME(output_row_f4)(r, v[j], v[6 + j], v[12 + j], v[18 + j], v[24 + j], v[30 + j]);
        _Pragma("clang loop unroll(full)")
        for (int r = 0; r < 4; r++)
            for (int k = 0; k < 4; k++)
                y[4 * r + k][t] = CK_NAME(output_row_f4)(k, c[0][r], c[1][r], c[2][r], c[3][r], c[4][r], c[5][r]);
    }
}

/// Writes `count` tiles of tile row `ty` from tile column `tx` on (values from `first` in `y`),
/// mapped, interleaved into the plane's four rows.
CK_INLINE void CK_NAME(output_f4_store)(float (*restrict y)[CK_BLOCK], long first, long count, long ty, long tx,
                                        ck_channel_map map, float *restrict plane, long width, int affine, int relu) {
    for (int r = 0; r < 4; r++) {
        float *row = plane + (4 * ty + r) * width + 4 * tx;
        for (long t = 0; t < count; t++)
            for (int k = 0; k < 4; k++) row[4 * t + k] = CK_NAME(apply)(y[4 * r + k][first + t], map, affine, relu);
    }
}

CK_INLINE void CK_NAME(output_f4_plane)(const float *m, long s, long tiles_h, long tiles_w, ck_channel_map map,
                                        float *plane, int affine, int relu) {
    float y[16][CK_BLOCK];
    long tiles = tiles_h * tiles_w, width = 4 * tiles_w;
    for (long first = 0; first < tiles; first += CK_BLOCK) {
        long count = tiles - first < CK_BLOCK ? tiles - first : CK_BLOCK;
        CK_NAME(output_f4_tiles)(m + first, s, count, y);
        for (long t = first; t < first + count;) {
            long ty = t / tiles_w, tx = t % tiles_w;
            long piece = tiles_w - tx < first + count - t ? tiles_w - tx : first + count - t;
            CK_NAME(output_f4_store)(y, t - first, piece, ty, tx, map, plane, width, affine, relu);
            t += piece;
        }
    }
}

void CK_NAME(ck_winograd_output_f4)(const float *m, long s, long tiles_h, long tiles_w, ck_channel_map map,
                                    float *plane) {
    if (map.affine) {
        if (map.relu) CK_NAME(output_f4_plane)(m, s, tiles_h, tiles_w, map, plane, 1, 1);
        else CK_NAME(output_f4_plane)(m, s, tiles_h, tiles_w, map, plane, 1, 0);
    } else {
        if (map.relu) CK_NAME(output_f4_plane)(m, s, tiles_h, tiles_w, map, plane, 0, 1);
        else CK_NAME(output_f4_plane)(m, s, tiles_h, tiles_w, map, plane, 0, 0);
    }
}

// MARK: BatchNorm

// Eight lanes of doubles (and of floats), as clang vector types: the loop vectoriser does not
// turn arrays of running sums into registers, these are lowered to one zmm, two ymm or four xmm
// registers, always with the same eight lanes and so the same rounding.
typedef double ck_double8 __attribute__((ext_vector_type(8)));

// (Vectors go through pointers, not by value: by value their calling convention would differ
// between the instances, which clang warns about even where the functions are inlined.)

/// Eight floats from x (unaligned), as doubles.
CK_INLINE void CK_NAME(load8)(ck_double8 *out, const float *x) {
    ck_float8 v;
    __builtin_memcpy(&v, x, sizeof v);
    *out = __builtin_convertvector(v, ck_double8);
}

/// Eight double lanes combined in a fixed order, whatever the register width.
CK_INLINE double CK_NAME(lanes_total)(const ck_double8 *lanes) {
    ck_double8 l = *lanes;
    return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7]));
}

/// Sum of x[0..<n] in double: eight running sums, then the tail.
CK_INLINE double CK_NAME(run_sum)(const float *restrict x, long n) {
    ck_double8 lanes = 0;
    long i = 0;
    for (; i + 8 <= n; i += 8) { ck_double8 v; CK_NAME(load8)(&v, x + i); lanes += v; }
    double total = CK_NAME(lanes_total)(&lanes);
    for (; i < n; i++) total += (double)x[i];
    return total;
}

/// Sum of (x[i] - mean)² in double, vectorised like run_sum.
CK_INLINE double CK_NAME(run_squares)(const float *restrict x, long n, double mean) {
    ck_double8 lanes = 0;
    long i = 0;
    for (; i + 8 <= n; i += 8) { ck_double8 d; CK_NAME(load8)(&d, x + i); d -= mean; lanes += d * d; }
    double total = CK_NAME(lanes_total)(&lanes);
    for (; i < n; i++) { double d = (double)x[i] - mean; total += d * d; }
    return total;
}

void CK_NAME(ck_channel_moments)(const float *x, long batch, long stride, long spatial, double *mean, double *variance) {
    double count = (double)(batch * spatial), total = 0, squares = 0;
    for (long n = 0; n < batch; n++) total += CK_NAME(run_sum)(x + n * stride, spatial);
    double mu = total / count;
    for (long n = 0; n < batch; n++) squares += CK_NAME(run_squares)(x + n * stride, spatial, mu);
    *mean = mu;
    *variance = squares / count;
}

CK_INLINE void CK_NAME(affine_run)(const float *x, float *y, long n, float mean, float scale,
                                   float shift, int relu) {
    for (long i = 0; i < n; i++) {
        float v = (x[i] - mean) * scale + shift;
        y[i] = relu && v < 0 ? 0 : v;
    }
}

void CK_NAME(ck_channel_affine)(const float *x, float *y, long batch, long stride, long spatial,
                                float mean, float scale, float shift, int relu) {
    for (long n = 0; n < batch; n++) {
        if (relu) CK_NAME(affine_run)(x + n * stride, y + n * stride, spatial, mean, scale, shift, 1);
        else CK_NAME(affine_run)(x + n * stride, y + n * stride, spatial, mean, scale, shift, 0);
    }
}

/// One run's share of the gradient sums, into eight lanes each (`mask`: the fused ReLU's output,
/// or null: gy counts only where it is above 0).
CK_INLINE void CK_NAME(grad_run)(const float *restrict x, const float *restrict gy, const float *restrict mask, long n,
                                 float mean, float invstd, ck_double8 *a, ck_double8 *b, double *tail_a, double *tail_b) {
    long i = 0;
    for (; i + 8 <= n; i += 8) {
        ck_float8 g, xs;
        __builtin_memcpy(&g, gy + i, sizeof g);
        __builtin_memcpy(&xs, x + i, sizeof xs);
        if (mask) {
            ck_float8 out;
            __builtin_memcpy(&out, mask + i, sizeof out);
            g = out <= 0 ? 0 : g;
        }
        ck_float8 xhat = (xs - mean) * invstd;
        ck_double8 gd = __builtin_convertvector(g, ck_double8);
        *a += gd;
        *b += gd * __builtin_convertvector(xhat, ck_double8);
    }
    for (; i < n; i++) {
        float g = mask && mask[i] <= 0 ? 0 : gy[i];
        *tail_a += (double)g;
        *tail_b += (double)g * (double)((x[i] - mean) * invstd);
    }
}

void CK_NAME(ck_channel_grad_sums)(const float *x, const float *gy, const float *relu_output, long batch, long stride,
                                   long spatial, float mean, float invstd, double *sum_gy, double *sum_gy_xhat) {
    ck_double8 a = 0, b = 0;
    double tail_a = 0, tail_b = 0;
    for (long n = 0; n < batch; n++) {
        long o = n * stride;
        if (relu_output)
            CK_NAME(grad_run)(x + o, gy + o, relu_output + o, spatial, mean, invstd, &a, &b, &tail_a, &tail_b);
        else
            CK_NAME(grad_run)(x + o, gy + o, 0, spatial, mean, invstd, &a, &b, &tail_a, &tail_b);
    }
    *sum_gy = CK_NAME(lanes_total)(&a) + tail_a;
    *sum_gy_xhat = CK_NAME(lanes_total)(&b) + tail_b;
}

// MARK: Elementwise

// No restrict here: callers may pass the same buffer in and out (the loops are correct either way).
void CK_NAME(ck_add_in_place)(float *a, const float *b, long n) {
    for (long i = 0; i < n; i++) a[i] += b[i];
}

void CK_NAME(ck_add)(const float *a, const float *b, float *out, long n) {
    for (long i = 0; i < n; i++) out[i] = a[i] + b[i];
}

void CK_NAME(ck_relu)(const float *x, float *out, long n) {
    for (long i = 0; i < n; i++) out[i] = x[i] < 0 ? 0 : x[i];
}

void CK_NAME(ck_relu_backward)(const float *y, const float *gy, float *gx, long n) {
    for (long i = 0; i < n; i++) { float g = gy[i]; gx[i] = y[i] <= 0 ? 0 : g; }
}

void CK_NAME(ck_add_relu)(const float *a, const float *b, float *out, long n) {
    for (long i = 0; i < n; i++) { float v = a[i] + b[i]; out[i] = v < 0 ? 0 : v; }
}
