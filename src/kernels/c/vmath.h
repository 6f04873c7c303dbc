// Vectorised activations (4 floats at a time) and their derivatives, and the two plain loops
// (copy, zero) every kernel file uses.
//
// exp follows Cephes' expf (range reduction by ln 2, degree-6 polynomial: about 1 ulp);
// tanh uses Cephes' tanhf polynomial below |x| = 0.625, where 1 - 2/(e^2x + 1) would lose
// relative precision, and that formula above it. Results agree with the tfjs backends'
// libm-based kernels to a few ulp, far inside the 1e-5 the equivalence tests demand.
#ifndef RNNC_VMATH_H
#define RNNC_VMATH_H

#include "kernels.h"

static inline v128_t v_exp(v128_t x) {
  const v128_t hi = wasm_f32x4_splat(88.0f), lo = wasm_f32x4_splat(-87.3f);
  x = wasm_f32x4_pmin(wasm_f32x4_pmax(x, lo), hi);
  v128_t fx = wasm_f32x4_nearest(wasm_f32x4_mul(x, wasm_f32x4_splat(1.44269504088896341f)));
  x = wasm_f32x4_sub(x, wasm_f32x4_mul(fx, wasm_f32x4_splat(0.693359375f)));
  x = wasm_f32x4_sub(x, wasm_f32x4_mul(fx, wasm_f32x4_splat(-2.12194440e-4f)));
  v128_t z = wasm_f32x4_mul(x, x);
  v128_t y = wasm_f32x4_splat(1.9875691500e-4f);
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), wasm_f32x4_splat(1.3981999507e-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), wasm_f32x4_splat(8.3334519073e-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), wasm_f32x4_splat(4.1665795894e-2f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), wasm_f32x4_splat(1.6666665459e-1f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, x), wasm_f32x4_splat(5.0000001201e-1f));
  y = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(y, z), x), wasm_f32x4_splat(1.0f));
  // 2^fx built in the exponent bits; fx is in [-126, 127] after the clamp.
  v128_t pow2 = wasm_i32x4_shl(wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(fx), wasm_i32x4_splat(127)), 23);
  return wasm_f32x4_mul(y, pow2);
}

static inline v128_t v_sigmoid(v128_t x) {
  const v128_t one = wasm_f32x4_splat(1.0f);
  return wasm_f32x4_div(one, wasm_f32x4_add(one, v_exp(wasm_f32x4_neg(x))));
}

static inline v128_t v_tanh(v128_t x) {
  const v128_t one = wasm_f32x4_splat(1.0f);
  v128_t ax = wasm_f32x4_abs(x);
  // Small |x|: x + x^3 P(x^2).
  v128_t z = wasm_f32x4_mul(x, x);
  v128_t p = wasm_f32x4_splat(-5.70498872745e-3f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), wasm_f32x4_splat(2.06390887954e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), wasm_f32x4_splat(-5.37397155531e-2f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), wasm_f32x4_splat(1.33314422036e-1f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, z), wasm_f32x4_splat(-3.33332819422e-1f));
  v128_t small = wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_mul(p, z), x), x);
  // Large |x|: sign(x) (1 - 2 / (e^(2|x|) + 1)); e^(2|x|) saturates to 1 by |x| = 9.
  v128_t e = v_exp(wasm_f32x4_add(ax, ax));
  v128_t big = wasm_f32x4_sub(one, wasm_f32x4_div(wasm_f32x4_splat(2.0f), wasm_f32x4_add(e, one)));
  big = wasm_v128_or(big, wasm_v128_and(x, wasm_i32x4_splat((int32_t)0x80000000)));
  return wasm_v128_bitselect(small, big, wasm_f32x4_lt(ax, wasm_f32x4_splat(0.625f)));
}

static inline v128_t v_act(int act, v128_t x) {
  switch (act) {
    case ACT_TANH: return v_tanh(x);
    case ACT_SIGMOID: return v_sigmoid(x);
    case ACT_RELU: return wasm_f32x4_max(x, wasm_f32x4_splat(0.0f));
    // Keras/tfjs hard_sigmoid: clip(0.2 x + 0.5, 0, 1).
    case ACT_HARD_SIGMOID:
      return wasm_f32x4_min(wasm_f32x4_max(wasm_f32x4_add(wasm_f32x4_mul(x, wasm_f32x4_splat(0.2f)), wasm_f32x4_splat(0.5f)),
                                           wasm_f32x4_splat(0.0f)),
                            wasm_f32x4_splat(1.0f));
    default: return x;
  }
}

// The derivative at the input whose activation is y, from y alone.
static inline v128_t v_dact(int act, v128_t y) {
  const v128_t one = wasm_f32x4_splat(1.0f);
  switch (act) {
    case ACT_TANH: return wasm_f32x4_sub(one, wasm_f32x4_mul(y, y));
    case ACT_SIGMOID: return wasm_f32x4_mul(y, wasm_f32x4_sub(one, y));
    case ACT_RELU: return wasm_v128_and(wasm_f32x4_gt(y, wasm_f32x4_splat(0.0f)), one);
    // 0.2 inside the linear part, 0 where clipped (tfjs's gradient of its clipByValue).
    case ACT_HARD_SIGMOID:
      return wasm_v128_and(wasm_v128_and(wasm_f32x4_gt(y, wasm_f32x4_splat(0.0f)), wasm_f32x4_lt(y, one)),
                           wasm_f32x4_splat(0.2f));
    default: return one;
  }
}

// Scalar forms for the tails of rows whose length is not a multiple of 4: the same vector
// code on one lane, so a value never depends on where it sits in the row.
static inline float s_act(int act, float x) { return wasm_f32x4_extract_lane(v_act(act, wasm_f32x4_splat(x)), 0); }
static inline float s_dact(int act, float y) { return wasm_f32x4_extract_lane(v_dact(act, wasm_f32x4_splat(y)), 0); }

static inline void copy(float *dst, const float *src, int n) {
  for (int j = 0; j < n; j++) dst[j] = src[j];
}

static inline void zero(float *dst, size_t n) {
  for (size_t j = 0; j < n; j++) dst[j] = 0.0f;
}

#endif
