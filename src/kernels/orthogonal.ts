import type { KernelRuntime, Workspace } from './runtime.js';

/**
 * Keras's `Orthogonal` initializer (the default recurrent kernel of SimpleRNN, LSTM and GRU),
 * fast enough for large layers. tfjs-layers computes it with `tf.linalg.qr`, a Householder loop
 * of small tensor ops per column: `lstm(512)` took 10 s to compile on the wasm backend,
 * `lstm(2000)` over 5 minutes, and `lstm(3000)` ran WebAssembly out of memory. Here the same
 * factorization is blocked (compact WY: each block of reflectors is applied to the rest of the
 * matrix as two matrix products, on the kernels' SIMD product across threads), so the work is
 * mostly matrix products at the kernels' rate.
 *
 * The distribution is Keras's: Q of the QR factorization of a standard-normal matrix, signs fixed
 * so that R's diagonal is positive (which makes Q uniformly distributed over orthogonal
 * matrices), times `gain`. For a `rows × cols` kernel with rows < cols (units × k·units), Keras
 * factors the transposed normal matrix and transposes Q back: that is the LQ factorization
 * `G = L·Q` of a rows × cols normal matrix, computed here directly in row-major order. The
 * normal values come from `Math.random` (Box–Muller), which rnnc seeds per run.
 */

const BLOCK = 32;

/** C (=|+=) A·B as row blocks across the kernels' threads (rnnc_gemm_task). */
function gemmRows(rt: KernelRuntime, ws: Workspace, M: number, N: number, K: number, a: number, ars: number, aks: number, b: number, ldb: number, c: number, ldc: number, acc: boolean): void {
  if (M <= 0 || N <= 0) return;
  const parts = Math.max(1, Math.min(rt.threads * 2, Math.floor(M / 8)));
  const tasks = [];
  for (let p = 0; p < parts; p++) {
    const m0 = Math.floor((p * M) / parts);
    const m1 = Math.floor(((p + 1) * M) / parts);
    const args = ws.alloc(11);
    rt.i32(args, 11).set([m1 - m0, N, K, a + m0 * ars * 4, ars, aks, b, ldb, c + m0 * ldc * 4, ldc, acc ? 1 : 0]);
    tasks.push({ fn: 'rnnc_gemm_task' as const, arg: args });
  }
  rt.run(tasks);
}

/** Standard normal values from Math.random (Box–Muller, both outputs used). */
export function fillNormal(out: Float32Array): void {
  for (let i = 0; i < out.length; i += 2) {
    const u = 1 - Math.random(); // (0, 1]: log is finite
    const r = Math.sqrt(-2 * Math.log(u));
    const t = 2 * Math.PI * Math.random();
    out[i] = r * Math.cos(t);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(t);
  }
}

/** Row `i`'s reflector of a factored block, written as a dense row of width `w` from column `k0`. */
function reflectorRows(A: Float32Array, cols: number, k0: number, bs: number, vt: Float32Array): void {
  const w = cols - k0;
  vt.fill(0, 0, bs * w);
  for (let i = 0; i < bs; i++) {
    const r = k0 + i;
    vt[i * w + i] = 1;
    // The reflector's tail is stored where the factorization zeroed the row, past its diagonal.
    for (let c = r + 1; c < cols; c++) vt[i * w + (c - k0)] = A[r * cols + c]!;
  }
}

/**
 * An orthogonal `rows × cols` matrix (rows ≤ cols: orthonormal rows) with Keras's distribution,
 * times `gain`, row-major.
 */
export function orthogonalRows(rt: KernelRuntime, rows: number, cols: number, gain = 1): Float32Array {
  if (rows > cols) throw new RangeError(`orthogonalRows needs rows ≤ cols, got ${rows} × ${cols}`);
  const ws = rt.workspace();
  try {
    const pa = ws.alloc(rows * cols);
    const pvt = ws.alloc(BLOCK * cols);
    const pv = ws.alloc(BLOCK * cols);
    const pt = ws.alloc(BLOCK * BLOCK);
    const pw = ws.alloc(rows * BLOCK);
    const pw2 = ws.alloc(rows * BLOCK);
    // Views are made after every allocation: growing the memory detaches earlier ones.
    const A = rt.f32(pa, rows * cols);
    fillNormal(A);
    const diag = new Float64Array(rows);
    const taus = new Float64Array(rows);

    // LQ: reflectors from the right, a block of rows at a time.
    for (let k0 = 0; k0 < rows; k0 += BLOCK) {
      const bs = Math.min(BLOCK, rows - k0);
      const w = cols - k0;
      for (let i = 0; i < bs; i++) {
        const r = k0 + i;
        const row = r * cols;
        let norm2 = 0;
        for (let c = r; c < cols; c++) norm2 += A[row + c]! * A[row + c]!;
        const alpha = A[row + r]!;
        const norm = Math.sqrt(norm2);
        if (norm === 0) {
          taus[r] = 0;
          diag[r] = 0;
          continue;
        }
        const beta = alpha >= 0 ? -norm : norm;
        const scale = 1 / (alpha - beta);
        for (let c = r + 1; c < cols; c++) A[row + c] = A[row + c]! * scale;
        const tau = (beta - alpha) / beta;
        taus[r] = tau;
        diag[r] = beta;
        A[row + r] = beta;
        // The rest of the block's rows: x ← x − τ (x·v) v, v = (1, A[r, r+1..]).
        for (let j = i + 1; j < bs; j++) {
          const rj = (k0 + j) * cols;
          let dot = A[rj + r]!;
          for (let c = r + 1; c < cols; c++) dot += A[rj + c]! * A[row + c]!;
          const f = tau * dot;
          A[rj + r] = A[rj + r]! - f;
          for (let c = r + 1; c < cols; c++) A[rj + c] = A[rj + c]! - f * A[row + c]!;
        }
      }
      const rest = rows - k0 - bs;
      if (rest === 0) break;
      // The block's reflectors as V (w × bs) and Vᵀ, and T with H_1⋯H_bs = I − V·T·Vᵀ.
      const vt = rt.f32(pvt, bs * w);
      reflectorRows(A, cols, k0, bs, vt);
      const v = rt.f32(pv, w * bs);
      for (let i = 0; i < bs; i++) for (let c = 0; c < w; c++) v[c * bs + i] = vt[i * w + c]!;
      const T = blockT(vt, w, bs, taus, k0);
      rt.f32(pt, bs * bs).set(T);
      // Rows below: R ← R·(I − V·T·Vᵀ) = R − ((R·V)·T)·Vᵀ.
      const pr = pa + ((k0 + bs) * cols + k0) * 4;
      gemmRows(rt, ws, rest, bs, w, pr, cols, 1, pv, bs, pw, bs, false);
      gemmRows(rt, ws, rest, bs, bs, pw, bs, 1, pt, bs, pw2, bs, false);
      const w2 = rt.f32(pw2, rest * bs);
      for (let i = 0; i < w2.length; i++) w2[i] = -w2[i]!;
      gemmRows(rt, ws, rest, w, bs, pw2, bs, 1, pvt, w, pr, cols, true);
    }

    // Q = [I 0]·H_rows⋯H_1, built in place of A from the last block to the first. Before block
    // k0 only rows and columns from k0 on differ from the identity.
    const blocks = Math.ceil(rows / BLOCK);
    const stored = rt.copyOut(pa, rows * cols); // the reflectors, which the build overwrites
    const Q = rt.f32(pa, rows * cols);
    Q.fill(0);
    for (let i = 0; i < rows; i++) Q[i * cols + i] = 1;
    for (let bk = blocks - 1; bk >= 0; bk--) {
      const k0 = bk * BLOCK;
      const bs = Math.min(BLOCK, rows - k0);
      const w = cols - k0;
      const n = rows - k0;
      const vt = rt.f32(pvt, bs * w);
      reflectorRows(stored, cols, k0, bs, vt);
      const v = rt.f32(pv, w * bs);
      for (let i = 0; i < bs; i++) for (let c = 0; c < w; c++) v[c * bs + i] = vt[i * w + c]!;
      // X ← X·H_{k0+bs-1}⋯H_{k0} = X·(I − V·T·Vᵀ)ᵀ = X − ((X·V)·Tᵀ)·Vᵀ on rows and columns from k0.
      const T = blockT(vt, w, bs, taus, k0);
      const tt = rt.f32(pt, bs * bs);
      for (let i = 0; i < bs; i++) for (let j = 0; j < bs; j++) tt[i * bs + j] = T[j * bs + i]!;
      const px = pa + (k0 * cols + k0) * 4;
      gemmRows(rt, ws, n, bs, w, px, cols, 1, pv, bs, pw, bs, false);
      gemmRows(rt, ws, n, bs, bs, pw, bs, 1, pt, bs, pw2, bs, false);
      const w2 = rt.f32(pw2, n * bs);
      for (let i = 0; i < w2.length; i++) w2[i] = -w2[i]!;
      gemmRows(rt, ws, n, w, bs, pw2, bs, 1, pvt, w, px, cols, true);
    }
    // Keras's sign fix (R's diagonal positive, here L's), then the gain.
    const out = rt.copyOut(pa, rows * cols);
    for (let i = 0; i < rows; i++) {
      const s = (diag[i]! < 0 ? -1 : 1) * gain;
      for (let c = 0; c < cols; c++) out[i * cols + c] = out[i * cols + c]! * s;
    }
    return out;
  } finally {
    ws.release();
  }
}

/** The block's T (bs × bs, upper triangular, row-major) with H_1⋯H_bs = I − V·T·Vᵀ (LAPACK's larft). */
function blockT(vt: Float32Array, w: number, bs: number, taus: Float64Array, k0: number): Float64Array {
  const T = new Float64Array(bs * bs);
  for (let i = 0; i < bs; i++) {
    const tau = taus[k0 + i]!;
    T[i * bs + i] = tau;
    if (i === 0) continue;
    // z = Vᵀ[0:i]·v_i, then T[0:i, i] = −τ · T[0:i, 0:i]·z.
    const z = new Float64Array(i);
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let c = i; c < w; c++) s += vt[j * w + c]! * vt[i * w + c]!;
      z[j] = s;
    }
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let l = j; l < i; l++) s += T[j * bs + l]! * z[l]!;
      T[j * bs + i] = -tau * s;
    }
  }
  return T;
}

type TfModule = typeof import('@tensorflow/tfjs');

// The runtime the patched initializer uses: the one of the last loadTf (tests load several).
let current: KernelRuntime | null = null;
let installed = false;

/**
 * Makes tfjs-layers' `Orthogonal` initializer use {@link orthogonalRows} (on `rt`'s threads):
 * same class, same config, same distribution, so saved models are unchanged. tfjs is pinned
 * (4.22.0); the class is reached through `tf.initializers.orthogonal`, and its `apply(shape,
 * dtype)` is what layers call when they build their weights.
 */
export function installOrthogonal(tf: TfModule, rt: KernelRuntime | null): void {
  current = rt;
  if (installed) return;
  installed = true;
  // The class is not exported by name; an instance's prototype is it.
  const proto = Object.getPrototypeOf(tf.initializers.orthogonal({})) as {
    apply: (this: { gain: number }, shape: number[], dtype?: string) => import('@tensorflow/tfjs').Tensor;
  };
  const original = proto.apply;
  proto.apply = function (shape, dtype) {
    if (!current || shape.length !== 2 || (dtype !== undefined && dtype !== 'float32')) return original.call(this, shape, dtype);
    const [rows, cols] = shape as [number, number];
    if (rows <= cols) return tf.tensor2d(orthogonalRows(current, rows, cols, this.gain), [rows, cols], 'float32');
    const t = orthogonalRows(current, cols, rows, this.gain);
    const out = new Float32Array(rows * cols);
    for (let i = 0; i < cols; i++) for (let j = 0; j < rows; j++) out[j * cols + i] = t[i * rows + j]!;
    return tf.tensor2d(out, [rows, cols], 'float32');
  };
}
