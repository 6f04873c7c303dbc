// Matrix products for the recurrent kernels: C (=|+=) A·B with A read through strides, so
// one routine serves A·B (input projections, the per-step recurrent product, dX = dZ·Wᵀ with
// a pre-transposed W) and Aᵀ·B (the weight gradients Xᵀ·dZ and Hᵀ·dZ over all time steps).
//
// The inner kernel keeps a 4×8 tile of C in eight SIMD registers and, per k, broadcasts one
// element from each of 4 rows of A against two vectors of a row of B. x86-64 has 16 vector
// registers for wasm SIMD; wider tiles (6×8, 4×12, 3×16) spilled and measured slower here.
// Loops block K by 256 and N by 512 so a block of B stays in the L2 cache while A streams.
#include "kernels.h"

#define KC 256
#define NC 512

#define MADD(c, a, b) c = wasm_f32x4_add(c, wasm_f32x4_mul(a, b))

static inline void tile4x8(int K, const float *A, int ars, int aks, const float *B, int ldb, float *C,
                           int ldc, int load) {
  v128_t c00, c01, c10, c11, c20, c21, c30, c31;
  if (load) {
    c00 = wasm_v128_load(C), c01 = wasm_v128_load(C + 4);
    c10 = wasm_v128_load(C + ldc), c11 = wasm_v128_load(C + ldc + 4);
    c20 = wasm_v128_load(C + 2 * ldc), c21 = wasm_v128_load(C + 2 * ldc + 4);
    c30 = wasm_v128_load(C + 3 * ldc), c31 = wasm_v128_load(C + 3 * ldc + 4);
  } else {
    c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = wasm_f32x4_splat(0.0f);
  }
  const float *a0 = A, *a1 = A + ars, *a2 = A + 2 * ars, *a3 = A + 3 * ars;
  for (int k = 0; k < K; k++) {
    v128_t b0 = wasm_v128_load(B), b1 = wasm_v128_load(B + 4);
    B += ldb;
    v128_t a;
    a = wasm_v128_load32_splat(a0); MADD(c00, a, b0); MADD(c01, a, b1);
    a = wasm_v128_load32_splat(a1); MADD(c10, a, b0); MADD(c11, a, b1);
    a = wasm_v128_load32_splat(a2); MADD(c20, a, b0); MADD(c21, a, b1);
    a = wasm_v128_load32_splat(a3); MADD(c30, a, b0); MADD(c31, a, b1);
    a0 += aks, a1 += aks, a2 += aks, a3 += aks;
  }
  wasm_v128_store(C, c00), wasm_v128_store(C + 4, c01);
  wasm_v128_store(C + ldc, c10), wasm_v128_store(C + ldc + 4, c11);
  wasm_v128_store(C + 2 * ldc, c20), wasm_v128_store(C + 2 * ldc + 4, c21);
  wasm_v128_store(C + 3 * ldc, c30), wasm_v128_store(C + 3 * ldc + 4, c31);
}

// One row of A against 8 columns.
static inline void tile1x8(int K, const float *A, int aks, const float *B, int ldb, float *C, int load) {
  v128_t c0 = load ? wasm_v128_load(C) : wasm_f32x4_splat(0.0f);
  v128_t c1 = load ? wasm_v128_load(C + 4) : wasm_f32x4_splat(0.0f);
  for (int k = 0; k < K; k++) {
    v128_t a = wasm_v128_load32_splat(A);
    MADD(c0, a, wasm_v128_load(B));
    MADD(c1, a, wasm_v128_load(B + 4));
    A += aks, B += ldb;
  }
  wasm_v128_store(C, c0), wasm_v128_store(C + 4, c1);
}

// One row of A against n < 8 columns (4 at a time, then one by one).
static void tile1xn(int n, int K, const float *A, int aks, const float *B, int ldb, float *C, int load) {
  int j = 0;
  if (n >= 4) {
    v128_t c0 = load ? wasm_v128_load(C) : wasm_f32x4_splat(0.0f);
    const float *a = A, *b = B;
    for (int k = 0; k < K; k++, a += aks, b += ldb) MADD(c0, wasm_v128_load32_splat(a), wasm_v128_load(b));
    wasm_v128_store(C, c0);
    j = 4;
  }
  for (; j < n; j++) {
    float s = load ? C[j] : 0.0f;
    const float *a = A, *b = B + j;
    for (int k = 0; k < K; k++, a += aks, b += ldb) s += *a * *b;
    C[j] = s;
  }
}

static void gemm_block(int M, int N, int K, const float *A, int ars, int aks, const float *B, int ldb,
                       float *C, int ldc, int load) {
  int n8 = N & ~7;
  int m = 0;
  for (; m + 4 <= M; m += 4) {
    const float *a = A + (size_t)m * ars;
    float *c = C + (size_t)m * ldc;
    for (int n = 0; n < n8; n += 8) tile4x8(K, a, ars, aks, B + n, ldb, c + n, ldc, load);
    if (n8 < N) {
      for (int r = 0; r < 4; r++) tile1xn(N - n8, K, a + (size_t)r * ars, aks, B + n8, ldb, c + (size_t)r * ldc + n8, load);
    }
  }
  for (; m < M; m++) {
    const float *a = A + (size_t)m * ars;
    float *c = C + (size_t)m * ldc;
    for (int n = 0; n < n8; n += 8) tile1x8(K, a, aks, B + n, ldb, c + n, load);
    if (n8 < N) tile1xn(N - n8, K, a, aks, B + n8, ldb, c + n8, load);
  }
}

void gemm(int M, int N, int K, const float *A, int ars, int aks, const float *B, int ldb, float *C,
          int ldc, int accumulate) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate) {
      for (int m = 0; m < M; m++) for (int n = 0; n < N; n++) C[(size_t)m * ldc + n] = 0.0f;
    }
    return;
  }
  for (int n0 = 0; n0 < N; n0 += NC) {
    int nb = N - n0 < NC ? N - n0 : NC;
    for (int k0 = 0; k0 < K; k0 += KC) {
      int kb = K - k0 < KC ? K - k0 : KC;
      gemm_block(M, nb, kb, A + (size_t)k0 * aks, ars, aks, B + (size_t)k0 * ldb + n0, ldb, C + n0, ldc,
                 accumulate || k0 > 0);
    }
  }
}

void transpose(const float *src, int rows, int cols, float *dst) {
  for (int r = 0; r < rows; r++)
    for (int c = 0; c < cols; c++) dst[(size_t)c * rows + r] = src[(size_t)r * cols + c];
}

EXPORT("rnnc_gemm")
void rnnc_gemm(int M, int N, int K, const float *A, int ars, int aks, const float *B, int ldb, float *C, int ldc,
               int accumulate) {
  gemm(M, N, K, A, ars, aks, B, ldb, C, ldc, accumulate);
}

// The same product as a pool task (one pointer argument): eleven 32-bit words in rnnc_gemm's
// order. Threads take row blocks of one product (the benchmark's two-thread rate).
EXPORT("rnnc_gemm_task")
void rnnc_gemm_task(const int32_t *w) {
  gemm(w[0], w[1], w[2], (const float *)(uintptr_t)w[3], w[4], w[5], (const float *)(uintptr_t)w[6], w[7],
       (float *)(uintptr_t)w[8], w[9], w[10]);
}
