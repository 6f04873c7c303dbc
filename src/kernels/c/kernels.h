// rnnc's WebAssembly kernels: shared declarations.
//
// Built freestanding (no libc) for wasm32 with SIMD128 by `npm run build:wasm`
// (scripts/build-wasm.mjs). Every function works on byte offsets into one shared linear
// memory that the TypeScript side (src/kernels/) lays out; nothing here allocates, so the
// same module instantiated on several threads never races on its own state.
#ifndef RNNC_KERNELS_H
#define RNNC_KERNELS_H

#include <stddef.h>
#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(name)))

// Bump this whenever RnnArgs or an exported signature changes; src/kernels/abi.ts checks it.
#define RNNC_ABI_VERSION 4

enum Activation { ACT_LINEAR = 0, ACT_TANH = 1, ACT_SIGMOID = 2, ACT_RELU = 3, ACT_HARD_SIGMOID = 4 };
enum Cell { CELL_SIMPLE = 0, CELL_LSTM = 1, CELL_GRU = 2 };

// One direction of one recurrent layer over a block of batch rows. G = gates × units
// (simple 1, GRU 3, LSTM 4); gate order and weight layout are Keras's (LSTM i,f,c,o;
// GRU z,r,h with reset_after=False), so tfjs/Keras weights are used as they are.
// Every field is 32 bits; src/kernels/abi.ts writes them in this order.
typedef struct {
  int32_t cell;       // enum Cell
  int32_t act;        // activation of the candidate / output (enum Activation)
  int32_t ract;       // recurrent activation of the gates (LSTM, GRU)
  int32_t batch;      // rows in this block
  int32_t time;       // time steps
  int32_t in;         // input features
  int32_t units;
  int32_t reverse;    // 1: read the sequence from the last step to the first
  int32_t out_stride; // floats between rows of out_seq/out_last (and of d_seq/d_last)
  const float *x;         // [batch, time, in]
  const float *dropmask;  // [batch, in] input dropout multipliers, or NULL
  const float *mask;      // [batch, time] 1 = real step, 0 = padding; NULL: all real
  const float *kernel;    // [in, G]
  const float *rkernel;   // [units, G]
  const float *bias;      // [G], or NULL
  float *gates;           // [batch, time, G]: activated gates, kept for the backward pass
  float *cseq;            // [batch, time, units]: LSTM cell states, GRU r*h_prev; NULL for simple
  float *hseq;            // [batch, time, units]: states (needed by backward); NULL at inference
  float *out_seq;         // [batch, time, out_stride] at this direction's column, or NULL
  float *out_last;        // [batch, out_stride] at this direction's column, or NULL
  float *scratch;         // rnnc_scratch_floats() floats
  const float *d_seq;     // backward: gradient of out_seq, or NULL
  const float *d_last;    // backward: gradient of out_last, or NULL
  float *dx;              // backward: [batch, time, in]
  float *dkernel;         // backward: [in, G]
  float *drkernel;        // backward: [units, G]
  float *dbias;           // backward: [G]
  // Inference with the embedding folded in: gates row (b, t) = table[ids[b, t]], where
  // table = E·W + b was computed once for the whole vocabulary; x and kernel are then unused.
  const int32_t *ids;     // [batch, time] or NULL
  const float *table;     // [vocabulary, G] or NULL
} RnnArgs;

// C[m*ldc + n] (=, or += when accumulate) sum_k A[m*ars + k*aks] * B[k*ldb + n].
// With (ars, aks) = (lda, 1) A is row-major [M, K]; with (1, lda) it is A^T of a [K, M] matrix.
void gemm(int M, int N, int K, const float *A, int ars, int aks, const float *B, int ldb, float *C,
          int ldc, int accumulate);

// dst[c*rows + r] = src[r*cols + c]
void transpose(const float *src, int rows, int cols, float *dst);

static inline size_t round4(size_t n) { return (n + 3) & ~(size_t)3; }

#endif
