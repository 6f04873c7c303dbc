// The module's small entry points beside the recurrent cells: the embedding-folding table, one
// Adam step, and the ABI checks the loader makes (src/kernels/abi.ts mirrors RnnArgs).
#include "vmath.h"

// Rows [0, n) of a folding table: table = E·W + b, with the bias first and the products added
// in the same order as the forward pass's projection, so folded and unfolded gates are equal
// to the bit. A pool task over rows: w = {rows, in, G, E, kernel, bias, table} (32-bit words).
EXPORT("rnnc_fold_task")
void rnnc_fold_task(const int32_t *w) {
  int n = w[0], D = w[1], G = w[2];
  const float *E = (const float *)(uintptr_t)w[3], *W = (const float *)(uintptr_t)w[4], *bias = (const float *)(uintptr_t)w[5];
  float *table = (float *)(uintptr_t)w[6];
  for (int r = 0; r < n; r++) {
    if (bias) copy(table + (size_t)r * G, bias, G); else zero(table + (size_t)r * G, G);
  }
  gemm(n, G, D, E, D, 1, W, G, table, G, 1);
}

EXPORT("rnnc_abi_version")
int rnnc_abi_version(void) { return RNNC_ABI_VERSION; }

EXPORT("rnnc_args_fields")
int rnnc_args_fields(void) { return (int)(sizeof(RnnArgs) / 4); }

// One Adam step over n values, in place: m = β1 m + (1−β1) g, v = β2 v + (1−β2) g²,
// p −= step · m / (√(v · inv2) + ε), with step = lr / (1 − β1^t) and inv2 = 1 / (1 − β2^t).
// A pool task: w = {n, p, g, m, v, hyper}, hyper = {β1, β2, step, inv2, ε} (floats).
EXPORT("rnnc_adam_task")
void rnnc_adam_task(const int32_t *w) {
  int n = w[0];
  float *p = (float *)(uintptr_t)w[1], *m = (float *)(uintptr_t)w[3], *v = (float *)(uintptr_t)w[4];
  const float *g = (const float *)(uintptr_t)w[2], *hp = (const float *)(uintptr_t)w[5];
  const float b1 = hp[0], b2 = hp[1], step = hp[2], inv2 = hp[3], eps = hp[4];
  const v128_t vb1 = wasm_f32x4_splat(b1), va1 = wasm_f32x4_splat(1.0f - b1);
  const v128_t vb2 = wasm_f32x4_splat(b2), va2 = wasm_f32x4_splat(1.0f - b2);
  const v128_t vstep = wasm_f32x4_splat(step), vinv2 = wasm_f32x4_splat(inv2), veps = wasm_f32x4_splat(eps);
  int k = 0;
  for (; k + 4 <= n; k += 4) {
    v128_t gk = wasm_v128_load(g + k);
    v128_t mk = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m + k), vb1), wasm_f32x4_mul(gk, va1));
    v128_t vk = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(v + k), vb2), wasm_f32x4_mul(wasm_f32x4_mul(gk, gk), va2));
    v128_t den = wasm_f32x4_add(wasm_f32x4_sqrt(wasm_f32x4_mul(vk, vinv2)), veps);
    wasm_v128_store(m + k, mk);
    wasm_v128_store(v + k, vk);
    wasm_v128_store(p + k, wasm_f32x4_sub(wasm_v128_load(p + k), wasm_f32x4_div(wasm_f32x4_mul(vstep, mk), den)));
  }
  for (; k < n; k++) {
    float gk = g[k];
    float mk = m[k] * b1 + gk * (1.0f - b1);
    float vk = v[k] * b2 + gk * gk * (1.0f - b2);
    m[k] = mk;
    v[k] = vk;
    p[k] -= step * mk / (__builtin_sqrtf(vk * inv2) + eps);
  }
}
