/**
 * The JSON IR: the contract between the front end (syntax, or a hand-written `.rnn.json`)
 * and the back end (check, compile, train). Its JSON Schema is `grammar/ir.schema.json`;
 * field names follow Keras's snake_case config names so the IR reads like a Keras model.
 */

export const IR_FORMAT = 'rnnc-ir';
export const IR_VERSION = 1;

export type Activation = 'relu' | 'tanh' | 'sigmoid' | 'softmax' | 'linear';
export const ACTIVATIONS: readonly Activation[] = ['relu', 'tanh', 'sigmoid', 'softmax', 'linear'];

export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave';
export const MERGE_MODES: readonly MergeMode[] = ['concat', 'sum', 'mul', 'ave'];

export type VectorFormat = 'auto' | 'glove' | 'word2vec' | 'word2vec-binary' | 'fasttext';
export const VECTOR_FORMATS: readonly VectorFormat[] = ['auto', 'glove', 'word2vec', 'word2vec-binary', 'fasttext'];

export type OovPolicy = 'zeros' | 'random' | 'mean';
export const OOV_POLICIES: readonly OovPolicy[] = ['zeros', 'random', 'mean'];

/** Word vectors in a file (GloVe, word2vec or fastText). `path` is resolved against the spec's folder. */
export interface VectorsSource {
  source: 'vectors';
  path: string;
  format?: VectorFormat;
  oov?: OovPolicy;
}

/** The embedding of another trained rnnc model (a directory with model.json, weights.bin, vocab.json). */
export interface ModelSource {
  source: 'model';
  path: string;
}

export type PretrainedSource = VectorsSource | ModelSource;

export interface EmbeddingLayer {
  kind: 'embedding';
  name?: string;
  /** Vocabulary size, including padding id 0 and the out-of-vocabulary id. */
  input_dim: number;
  /** Embedding dimension. */
  output_dim: number;
  mask_zero: boolean;
  trainable: boolean;
  pretrained?: PretrainedSource;
}

export type CellKind = 'simple_rnn' | 'lstm' | 'gru';
export const CELL_KINDS: readonly CellKind[] = ['simple_rnn', 'lstm', 'gru'];

export interface RecurrentLayer {
  kind: CellKind;
  name?: string;
  units: number;
  activation: Activation;
  /** simple_rnn has none. */
  recurrent_activation?: Activation;
  dropout: number;
  recurrent_dropout: number;
  /** gru only; tfjs builds only `false`. */
  reset_after?: boolean;
  trainable?: boolean;
}

export interface BidirectionalLayer {
  kind: 'bidirectional';
  name?: string;
  merge_mode: MergeMode;
  layer: RecurrentLayer;
  trainable?: boolean;
}

export interface DenseLayer {
  kind: 'dense';
  name?: string;
  units: number;
  activation: Activation;
  trainable?: boolean;
}

export interface DropoutLayer {
  kind: 'dropout';
  name?: string;
  rate: number;
}

export type Layer = EmbeddingLayer | RecurrentLayer | BidirectionalLayer | DenseLayer | DropoutLayer;
export type LayerKind = Layer['kind'];

export type Optimizer = 'adam' | 'sgd' | 'rmsprop' | 'adagrad';
export const OPTIMIZERS: readonly Optimizer[] = ['adam', 'sgd', 'rmsprop', 'adagrad'];
export type Loss = 'auto' | 'binary_crossentropy' | 'categorical_crossentropy' | 'sparse_categorical_crossentropy';
export const LOSSES: readonly Loss[] = ['auto', 'binary_crossentropy', 'categorical_crossentropy', 'sparse_categorical_crossentropy'];

/** Training settings; every one has a CLI flag that overrides it. All optional in the IR. */
export interface TrainSettings {
  optimizer?: Optimizer;
  lr?: number;
  loss?: Loss;
  epochs?: number;
  batch?: number;
  val_split?: number;
  val_file?: string;
  patience?: number;
  seed?: number;
  maxlen?: number;
  vocab?: number;
  lowercase?: boolean;
  /** Regular-expression source matching one token. */
  token_pattern?: string;
  label_column?: string;
  text_column?: string;
}

export interface Program {
  format: typeof IR_FORMAT;
  version: typeof IR_VERSION;
  layers: Layer[];
  train?: TrainSettings;
}
