// SimpleRNN, LSTM and GRU over a whole sequence: the forward pass and backpropagation
// through time, for one direction and one block of batch rows (RnnArgs).
//
// Forward: the input projection X·W + b of every step is one matrix product (as PyTorch's
// RNN.cpp does); only h·U runs per step, followed by the gate arithmetic in SIMD.
// Backward: per step only the gate gradients and dh·Uᵀ; the weight gradients are one
// product each over all steps (Xᵀ·dZ, Hᵀ·dZ) once the loop is done.
//
// Masking follows tfjs-layers' rnn() (Keras's too): at a padding step a row keeps its
// previous states and outputs them again; in backward that step passes the gradient through.
//
// Longer than 400 lines: the three cells' forward steps and their backward steps share one
// scratch layout and one step loop each; split apart, each half would need the other's layout.
#include "vmath.h"

static inline int valid(const RnnArgs *a, int b, int t) {
  return a->mask == NULL || a->mask[(size_t)b * a->time + t] != 0.0f;
}

static int any_valid(const RnnArgs *a, int t) {
  if (a->mask == NULL) return 1;
  for (int b = 0; b < a->batch; b++)
    if (a->mask[(size_t)b * a->time + t] != 0.0f) return 1;
  return 0;
}

static inline int gate_count(int cell) { return cell == CELL_LSTM ? 4 : cell == CELL_GRU ? 3 : 1; }

// Time index of the s-th step read, in the direction of the layer.
static inline int step_time(const RnnArgs *a, int s) { return a->reverse ? a->time - 1 - s : s; }


// Xd = X with the input dropout multipliers of each row applied, or X itself.
static const float *dropped_input(const RnnArgs *a, float *buf) {
  if (a->dropmask == NULL) return a->x;
  int D = a->in;
  for (int b = 0; b < a->batch; b++) {
    const float *m = a->dropmask + (size_t)b * D;
    for (int t = 0; t < a->time; t++) {
      const float *x = a->x + ((size_t)b * a->time + t) * D;
      float *y = buf + ((size_t)b * a->time + t) * D;
      for (int j = 0; j < D; j++) y[j] = x[j] * m[j];
    }
  }
  return buf;
}

// Scratch layout, in floats; every part is a multiple of 4 floats so vectors stay aligned.
typedef struct {
  float *xd, *h, *c, *tmp, *tmp2, *q;          // forward
  float *dh, *dc, *acc, *dz, *ut, *wt, *hprev; // backward (dh, dc alias h, c)
  size_t total;
} Scratch;

static Scratch scratch_layout(float *base, int cell, int batch, int time, int in, int units, int dropout, int backward) {
  size_t G = (size_t)gate_count(cell) * units, BT = (size_t)batch * time;
  size_t off = 0;
  Scratch s;
#define TAKE(field, n) (s.field = base + off, off += round4(n))
  TAKE(xd, dropout ? BT * in : 0);
  TAKE(h, (size_t)batch * units);
  TAKE(c, (size_t)batch * units);
  TAKE(tmp, (size_t)batch * G);
  TAKE(tmp2, (size_t)batch * units);
  TAKE(q, (size_t)batch * units);
  if (backward) {
    TAKE(acc, (size_t)batch * units);
    TAKE(dz, BT * G);
    TAKE(ut, G * units);
    TAKE(wt, G * in);
    TAKE(hprev, BT * units);
  } else {
    s.acc = s.dz = s.ut = s.wt = s.hprev = NULL;
  }
#undef TAKE
  s.dh = s.h;
  s.dc = s.c;
  s.total = off;
  return s;
}

EXPORT("rnnc_scratch_floats")
size_t rnnc_scratch_floats(int cell, int batch, int time, int in, int units, int dropout, int backward) {
  return scratch_layout(NULL, cell, batch, time, in, units, dropout, backward).total;
}

// Writes the states of step t: the saved sequences (training) and the outputs.
static void emit_step(const RnnArgs *a, const Scratch *s, int t) {
  int H = a->units;
  for (int b = 0; b < a->batch; b++) {
    size_t row = (size_t)b * a->time + t;
    const float *h = s->h + (size_t)b * H;
    if (a->hseq) copy(a->hseq + row * H, h, H);
    if (a->cseq && a->cell == CELL_LSTM) copy(a->cseq + row * H, s->c + (size_t)b * H, H);
    if (a->out_seq) copy(a->out_seq + row * a->out_stride, h, H);
  }
}

// ---------------------------------------------------------------------------------------------
// Forward

static void lstm_rows(const RnnArgs *a, const Scratch *s, int t) {
  int H = a->units, G = 4 * H, H4 = H & ~3;
  for (int b = 0; b < a->batch; b++) {
    if (!valid(a, b, t)) continue;
    float *z = a->gates + ((size_t)b * a->time + t) * G;
    float *c = s->c + (size_t)b * H, *h = s->h + (size_t)b * H;
    int j = 0;
    for (; j < H4; j += 4) {
      v128_t i = v_act(a->ract, wasm_v128_load(z + j));
      v128_t f = v_act(a->ract, wasm_v128_load(z + H + j));
      v128_t g = v_act(a->act, wasm_v128_load(z + 2 * H + j));
      v128_t o = v_act(a->ract, wasm_v128_load(z + 3 * H + j));
      v128_t cn = wasm_f32x4_add(wasm_f32x4_mul(f, wasm_v128_load(c + j)), wasm_f32x4_mul(i, g));
      wasm_v128_store(z + j, i), wasm_v128_store(z + H + j, f);
      wasm_v128_store(z + 2 * H + j, g), wasm_v128_store(z + 3 * H + j, o);
      wasm_v128_store(c + j, cn);
      wasm_v128_store(h + j, wasm_f32x4_mul(o, v_act(a->act, cn)));
    }
    for (; j < H; j++) {
      float i = s_act(a->ract, z[j]), f = s_act(a->ract, z[H + j]);
      float g = s_act(a->act, z[2 * H + j]), o = s_act(a->ract, z[3 * H + j]);
      float cn = f * c[j] + i * g;
      z[j] = i, z[H + j] = f, z[2 * H + j] = g, z[3 * H + j] = o;
      c[j] = cn;
      h[j] = o * s_act(a->act, cn);
    }
  }
}

static void gru_rows(const RnnArgs *a, const Scratch *s, int t) {
  int H = a->units, G = 3 * H;
  // z and r from the first product (tmp = h·U[:, :2H]), then q = r*h for the second.
  for (int b = 0; b < a->batch; b++) {
    float *z = a->gates + ((size_t)b * a->time + t) * G;
    const float *rz = s->tmp + (size_t)b * 2 * H, *h = s->h + (size_t)b * H;
    float *q = s->q + (size_t)b * H;
    for (int j = 0; j < 2 * H; j++) z[j] += rz[j];
    int j = 0;
    for (; j + 4 <= 2 * H; j += 4) wasm_v128_store(z + j, v_act(a->ract, wasm_v128_load(z + j)));
    for (; j < 2 * H; j++) z[j] = s_act(a->ract, z[j]);
    for (j = 0; j < H; j++) q[j] = z[H + j] * h[j];
  }
  gemm(a->batch, H, H, s->q, H, 1, a->rkernel + 2 * H, G, s->tmp2, H, 0);
  for (int b = 0; b < a->batch; b++) {
    if (!valid(a, b, t)) continue;
    float *z = a->gates + ((size_t)b * a->time + t) * G;
    const float *rh = s->tmp2 + (size_t)b * H;
    float *h = s->h + (size_t)b * H;
    int j = 0;
    for (; j + 4 <= H; j += 4) {
      v128_t hh = v_act(a->act, wasm_f32x4_add(wasm_v128_load(z + 2 * H + j), wasm_v128_load(rh + j)));
      v128_t zz = wasm_v128_load(z + j), hp = wasm_v128_load(h + j);
      wasm_v128_store(z + 2 * H + j, hh);
      // h = z*h_prev + (1-z)*hh = hh + z*(h_prev - hh)
      wasm_v128_store(h + j, wasm_f32x4_add(hh, wasm_f32x4_mul(zz, wasm_f32x4_sub(hp, hh))));
    }
    for (; j < H; j++) {
      float hh = s_act(a->act, z[2 * H + j] + rh[j]);
      z[2 * H + j] = hh;
      h[j] = hh + z[j] * (h[j] - hh);
    }
    if (a->cseq) copy(a->cseq + ((size_t)b * a->time + t) * H, s->q + (size_t)b * H, H);
  }
}

static void simple_rows(const RnnArgs *a, const Scratch *s, int t) {
  int H = a->units;
  for (int b = 0; b < a->batch; b++) {
    if (!valid(a, b, t)) continue;
    float *z = a->gates + ((size_t)b * a->time + t) * H;
    float *h = s->h + (size_t)b * H;
    int j = 0;
    for (; j + 4 <= H; j += 4) {
      v128_t y = v_act(a->act, wasm_v128_load(z + j));
      wasm_v128_store(z + j, y), wasm_v128_store(h + j, y);
    }
    for (; j < H; j++) z[j] = h[j] = s_act(a->act, z[j]);
  }
}

EXPORT("rnnc_forward")
void rnnc_forward(const RnnArgs *a) {
  int B = a->batch, T = a->time, D = a->in, H = a->units, G = gate_count(a->cell) * H;
  Scratch s = scratch_layout(a->scratch, a->cell, B, T, D, H, a->dropmask != NULL, 0);
  const float *xd = dropped_input(a, s.xd);
  size_t BT = (size_t)B * T;

  if (a->table) {
    // The projections of every vocabulary word, computed before: one row copy per step.
    for (size_t r = 0; r < BT; r++) copy(a->gates + r * G, a->table + (size_t)a->ids[r] * G, G);
  } else {
    // All steps' input projections at once: gates = Xd·W + b.
    for (size_t r = 0; r < BT; r++) {
      float *g = a->gates + r * G;
      if (a->bias) copy(g, a->bias, G); else zero(g, G);
    }
    gemm((int)BT, G, D, xd, D, 1, a->kernel, G, a->gates, G, 1);
  }

  zero(s.h, (size_t)B * H);
  zero(s.c, (size_t)B * H);
  // GRU keeps q = r*h_prev only at real steps; padding rows must hold zeros for dU = qᵀ·dZ.
  if (a->cell == CELL_GRU && a->cseq) zero(a->cseq, BT * H);
  for (int st = 0; st < T; st++) {
    int t = step_time(a, st);
    if (any_valid(a, t)) {
      float *gt = a->gates + (size_t)t * G;  // row b of step t is at gt + b*T*G
      switch (a->cell) {
        case CELL_LSTM:
          gemm(B, G, H, s.h, H, 1, a->rkernel, G, gt, T * G, 1);
          lstm_rows(a, &s, t);
          break;
        case CELL_GRU:
          gemm(B, 2 * H, H, s.h, H, 1, a->rkernel, G, s.tmp, 2 * H, 0);
          gru_rows(a, &s, t);
          break;
        default:
          gemm(B, G, H, s.h, H, 1, a->rkernel, G, gt, T * G, 1);
          simple_rows(a, &s, t);
      }
    }
    emit_step(a, &s, t);
  }
  if (a->out_last) {
    for (int b = 0; b < B; b++) copy(a->out_last + (size_t)b * a->out_stride, s.h + (size_t)b * H, H);
  }
}

// ---------------------------------------------------------------------------------------------
// Backward

// hprev row (b, t): the state before step t, i.e. the state after the previously read step.
static void previous_states(const RnnArgs *a, float *hprev) {
  int T = a->time, H = a->units;
  for (int b = 0; b < a->batch; b++) {
    float *dst = hprev + (size_t)b * T * H;
    const float *src = a->hseq + (size_t)b * T * H;
    if (!a->reverse) {
      zero(dst, H);
      copy(dst + H, src, (T - 1) * H);
    } else {
      copy(dst, src + H, (T - 1) * H);
      zero(dst + (size_t)(T - 1) * H, H);
    }
  }
}

// Row (b, t) of dZ, or NULL (after zeroing it) when the step is padding: it has no gate gradients.
static float *dz_row(const RnnArgs *a, const Scratch *s, int b, int t, int G) {
  float *dz = s->dz + ((size_t)b * a->time + t) * G;
  if (valid(a, b, t)) return dz;
  zero(dz, G);
  return NULL;
}

// dh = tmp for the rows that read step t; padding rows pass their dh through unchanged.
static void take_valid_rows(const RnnArgs *a, float *dh, const float *tmp, int t) {
  int H = a->units;
  for (int b = 0; b < a->batch; b++)
    if (valid(a, b, t)) copy(dh + (size_t)b * H, tmp + (size_t)b * H, H);
}

static void lstm_step_back(const RnnArgs *a, const Scratch *s, int st, int t) {
  int H = a->units, G = 4 * H, T = a->time;
  int tp = st > 0 ? step_time(a, st - 1) : -1;
  for (int b = 0; b < a->batch; b++) {
    size_t row = (size_t)b * T + t;
    float *dz = dz_row(a, s, b, t, G);
    if (!dz) continue;
    const float *g4 = a->gates + row * G, *c = a->cseq + row * H;
    const float *cp = tp >= 0 ? a->cseq + ((size_t)b * T + tp) * H : NULL;
    float *dh = s->dh + (size_t)b * H, *dc = s->dc + (size_t)b * H;
    int j = 0;
    for (; j + 4 <= H; j += 4) {
      v128_t i = wasm_v128_load(g4 + j), f = wasm_v128_load(g4 + H + j);
      v128_t g = wasm_v128_load(g4 + 2 * H + j), o = wasm_v128_load(g4 + 3 * H + j);
      v128_t tc = v_act(a->act, wasm_v128_load(c + j)), dhj = wasm_v128_load(dh + j);
      v128_t dcj = wasm_f32x4_add(wasm_v128_load(dc + j), wasm_f32x4_mul(wasm_f32x4_mul(dhj, o), v_dact(a->act, tc)));
      wasm_v128_store(dz + j, wasm_f32x4_mul(wasm_f32x4_mul(dcj, g), v_dact(a->ract, i)));
      wasm_v128_store(dz + H + j, cp ? wasm_f32x4_mul(wasm_f32x4_mul(dcj, wasm_v128_load(cp + j)), v_dact(a->ract, f))
                                     : wasm_f32x4_splat(0.0f));
      wasm_v128_store(dz + 2 * H + j, wasm_f32x4_mul(wasm_f32x4_mul(dcj, i), v_dact(a->act, g)));
      wasm_v128_store(dz + 3 * H + j, wasm_f32x4_mul(wasm_f32x4_mul(dhj, tc), v_dact(a->ract, o)));
      wasm_v128_store(dc + j, wasm_f32x4_mul(dcj, f));
    }
    for (; j < H; j++) {
      float i = g4[j], f = g4[H + j], g = g4[2 * H + j], o = g4[3 * H + j];
      float tc = s_act(a->act, c[j]);
      float dcj = dc[j] + dh[j] * o * s_dact(a->act, tc);
      dz[j] = dcj * g * s_dact(a->ract, i);
      dz[H + j] = cp ? dcj * cp[j] * s_dact(a->ract, f) : 0.0f;
      dz[2 * H + j] = dcj * i * s_dact(a->act, g);
      dz[3 * H + j] = dh[j] * tc * s_dact(a->ract, o);
      dc[j] = dcj * f;
    }
  }
  gemm(a->batch, H, G, s->dz + (size_t)t * G, T * G, 1, s->ut, H, s->tmp, H, 0);
  take_valid_rows(a, s->dh, s->tmp, t);
}

static void gru_step_back(const RnnArgs *a, const Scratch *s, int t) {
  int H = a->units, G = 3 * H, T = a->time;
  for (int b = 0; b < a->batch; b++) {
    size_t row = (size_t)b * T + t;
    float *dz = dz_row(a, s, b, t, G);
    if (!dz) continue;
    const float *g3 = a->gates + row * G, *hp = s->hprev + row * H;
    const float *dh = s->dh + (size_t)b * H;
    float *acc = s->acc + (size_t)b * H;
    int j = 0;
    for (; j + 4 <= H; j += 4) {
      v128_t z = wasm_v128_load(g3 + j), hh = wasm_v128_load(g3 + 2 * H + j), dhj = wasm_v128_load(dh + j);
      wasm_v128_store(dz + j, wasm_f32x4_mul(wasm_f32x4_mul(dhj, wasm_f32x4_sub(wasm_v128_load(hp + j), hh)), v_dact(a->ract, z)));
      wasm_v128_store(dz + 2 * H + j,
                      wasm_f32x4_mul(wasm_f32x4_mul(dhj, wasm_f32x4_sub(wasm_f32x4_splat(1.0f), z)), v_dact(a->act, hh)));
      wasm_v128_store(acc + j, wasm_f32x4_mul(dhj, z));
    }
    for (; j < H; j++) {
      float z = g3[j], hh = g3[2 * H + j];
      dz[j] = dh[j] * (hp[j] - hh) * s_dact(a->ract, z);
      dz[2 * H + j] = dh[j] * (1.0f - z) * s_dact(a->act, hh);
      acc[j] = dh[j] * z;
    }
  }
  // dq = dZ_h·U_hᵀ, then the reset gate and the direct path through q = r*h_prev.
  gemm(a->batch, H, H, s->dz + (size_t)t * G + 2 * H, T * G, 1, s->ut + (size_t)2 * H * H, H, s->tmp, H, 0);
  for (int b = 0; b < a->batch; b++) {
    if (!valid(a, b, t)) continue;
    size_t row = (size_t)b * T + t;
    const float *g3 = a->gates + row * G, *hp = s->hprev + row * H, *dq = s->tmp + (size_t)b * H;
    float *dz = s->dz + row * G, *acc = s->acc + (size_t)b * H;
    int j = 0;
    for (; j + 4 <= H; j += 4) {
      v128_t r = wasm_v128_load(g3 + H + j), dqj = wasm_v128_load(dq + j);
      wasm_v128_store(dz + H + j, wasm_f32x4_mul(wasm_f32x4_mul(dqj, wasm_v128_load(hp + j)), v_dact(a->ract, r)));
      wasm_v128_store(acc + j, wasm_f32x4_add(wasm_v128_load(acc + j), wasm_f32x4_mul(dqj, r)));
    }
    for (; j < H; j++) {
      float r = g3[H + j];
      dz[H + j] = dq[j] * hp[j] * s_dact(a->ract, r);
      acc[j] += dq[j] * r;
    }
  }
  gemm(a->batch, H, 2 * H, s->dz + (size_t)t * G, T * G, 1, s->ut, H, s->tmp, H, 0);
  for (int b = 0; b < a->batch; b++) {
    if (!valid(a, b, t)) continue;
    float *dh = s->dh + (size_t)b * H;
    const float *acc = s->acc + (size_t)b * H, *tmp = s->tmp + (size_t)b * H;
    for (int j = 0; j < H; j++) dh[j] = acc[j] + tmp[j];
  }
}

static void simple_step_back(const RnnArgs *a, const Scratch *s, int t) {
  int H = a->units, T = a->time;
  for (int b = 0; b < a->batch; b++) {
    size_t row = (size_t)b * T + t;
    float *dz = dz_row(a, s, b, t, H);
    if (!dz) continue;
    const float *y = a->gates + row * H, *dh = s->dh + (size_t)b * H;
    int j = 0;
    for (; j + 4 <= H; j += 4)
      wasm_v128_store(dz + j, wasm_f32x4_mul(wasm_v128_load(dh + j), v_dact(a->act, wasm_v128_load(y + j))));
    for (; j < H; j++) dz[j] = dh[j] * s_dact(a->act, y[j]);
  }
  gemm(a->batch, H, H, s->dz + (size_t)t * H, T * H, 1, s->ut, H, s->tmp, H, 0);
  take_valid_rows(a, s->dh, s->tmp, t);
}

EXPORT("rnnc_backward")
void rnnc_backward(const RnnArgs *a) {
  int B = a->batch, T = a->time, D = a->in, H = a->units, G = gate_count(a->cell) * H;
  Scratch s = scratch_layout(a->scratch, a->cell, B, T, D, H, a->dropmask != NULL, 1);
  size_t BT = (size_t)B * T;

  transpose(a->rkernel, H, G, s.ut);
  transpose(a->kernel, D, G, s.wt);
  previous_states(a, s.hprev);
  zero(s.dc, (size_t)B * H);
  for (int b = 0; b < B; b++) {
    float *dh = s.dh + (size_t)b * H;
    if (a->d_last) copy(dh, a->d_last + (size_t)b * a->out_stride, H); else zero(dh, H);
  }

  for (int st = T - 1; st >= 0; st--) {
    int t = step_time(a, st);
    if (a->d_seq) {
      for (int b = 0; b < B; b++) {
        float *dh = s.dh + (size_t)b * H;
        const float *dy = a->d_seq + ((size_t)b * T + t) * a->out_stride;
        for (int j = 0; j < H; j++) dh[j] += dy[j];
      }
    }
    if (!any_valid(a, t)) {
      for (int b = 0; b < B; b++) zero(s.dz + ((size_t)b * T + t) * G, G);
      continue;
    }
    switch (a->cell) {
      case CELL_LSTM: lstm_step_back(a, &s, st, t); break;
      case CELL_GRU: gru_step_back(a, &s, t); break;
      default: simple_step_back(a, &s, t);
    }
  }

  const float *xd = dropped_input(a, s.xd);
  // dW = Xdᵀ·dZ, db = Σ dZ, dU = H_prevᵀ·dZ (GRU: the candidate's part against q = r*h_prev).
  gemm(D, G, (int)BT, xd, 1, D, s.dz, G, a->dkernel, G, 0);
  zero(a->dbias, G);
  for (size_t r = 0; r < BT; r++) {
    const float *dz = s.dz + r * G;
    for (int j = 0; j < G; j++) a->dbias[j] += dz[j];
  }
  if (a->cell == CELL_GRU) {
    gemm(H, 2 * H, (int)BT, s.hprev, 1, H, s.dz, G, a->drkernel, G, 0);
    gemm(H, H, (int)BT, a->cseq, 1, H, s.dz + 2 * H, G, a->drkernel + 2 * H, G, 0);
  } else {
    gemm(H, G, (int)BT, s.hprev, 1, H, s.dz, G, a->drkernel, G, 0);
  }
  // dX = dZ·Wᵀ, times the dropout multipliers.
  gemm((int)BT, D, G, s.dz, G, 1, s.wt, D, a->dx, D, 0);
  if (a->dropmask) {
    for (int b = 0; b < B; b++) {
      const float *m = a->dropmask + (size_t)b * D;
      for (int t = 0; t < T; t++) {
        float *dx = a->dx + ((size_t)b * T + t) * D;
        for (int j = 0; j < D; j++) dx[j] *= m[j];
      }
    }
  }
}
