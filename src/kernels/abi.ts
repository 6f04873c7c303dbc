/**
 * The contract between the TypeScript side and the WebAssembly kernels (src/kernels/c/): the
 * ABI version, the enums, and the field order of `RnnArgs` in kernels.h. Every field is 32
 * bits; pointers are byte offsets into the shared memory. A test checks that the committed
 * module reports the same version and field count.
 */

export const ABI_VERSION = 4;

/** Activations the kernels implement, by the name tfjs-layers serializes. */
export const ACTIVATION_IDS = {
  linear: 0,
  tanh: 1,
  sigmoid: 2,
  relu: 3,
  hardSigmoid: 4,
} as const;
export type FusedActivation = keyof typeof ACTIVATION_IDS;

export const CELL_IDS = { simple_rnn: 0, lstm: 1, gru: 2 } as const;
export type FusedCell = keyof typeof CELL_IDS;

/** Gates per cell: the recurrent kernel is [units, gates × units]. */
export const GATES: Record<FusedCell, number> = { simple_rnn: 1, lstm: 4, gru: 3 };

/** RnnArgs's fields, in kernels.h order. */
export const RNN_ARGS_FIELDS = [
  'cell',
  'act',
  'ract',
  'batch',
  'time',
  'in',
  'units',
  'reverse',
  'out_stride',
  'x',
  'dropmask',
  'mask',
  'kernel',
  'rkernel',
  'bias',
  'gates',
  'cseq',
  'hseq',
  'out_seq',
  'out_last',
  'scratch',
  'd_seq',
  'd_last',
  'dx',
  'dkernel',
  'drkernel',
  'dbias',
  'ids',
  'table',
] as const;
export type RnnArgs = Record<(typeof RNN_ARGS_FIELDS)[number], number>;

export const RNN_ARGS_BYTES = RNN_ARGS_FIELDS.length * 4;

/** The functions a task may run; each takes one pointer (to its RnnArgs, or to an array of 32-bit arguments). */
export const TASK_FUNCTIONS = ['rnnc_forward', 'rnnc_backward', 'rnnc_gemm_task', 'rnnc_fold_task', 'rnnc_adam_task'] as const;
export type TaskFunction = (typeof TASK_FUNCTIONS)[number];

/** The module's exports, as the TypeScript side calls them. */
export interface KernelExports {
  __stack_pointer: WebAssembly.Global;
  rnnc_abi_version(): number;
  rnnc_args_fields(): number;
  rnnc_scratch_floats(cell: number, batch: number, time: number, inputs: number, units: number, dropout: number, backward: number): number;
  rnnc_forward(args: number): void;
  rnnc_backward(args: number): void;
  rnnc_gemm_task(args: number): void;
  rnnc_fold_task(args: number): void;
  rnnc_adam_task(args: number): void;
  rnnc_gemm(M: number, N: number, K: number, A: number, ars: number, aks: number, B: number, ldb: number, C: number, ldc: number, accumulate: number): void;
}
