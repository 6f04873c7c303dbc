import type * as Tf from '@tensorflow/tfjs';
import { returnSequencesFlags } from '../ir/semantics.js';
import type { Activation, Layer, Program, RecurrentLayer } from '../ir/types.js';

type TfModule = typeof Tf;
type LayersModel = Tf.LayersModel;

/** Options for {@link buildModel}. */
export interface BuildOptions {
  /**
   * Fixed sequence length, or null/undefined for variable-length input. Variable length works
   * with masking in tfjs 4.22: the batch is `[batch, time]` with any `time`, and trailing
   * padding (id 0) under `mask_zero` leaves predictions unchanged, also for rows of different
   * lengths in one batch (tested), so maxlen is only needed for a fixed input shape in model.json.
   */
  maxlen?: number | null;
}

/** Parameter counts read from a real tfjs model, for comparison with the checker's numbers. */
export interface ParamCounts {
  total: number;
  trainable: number;
  nonTrainable: number;
}

// Keras note: Keras 3's Embedding default is `uniform`, i.e. RandomUniform(-0.05, 0.05).
const embeddingInit = (tf: TfModule) => tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05 });

function recurrentLayer(
  tf: TfModule,
  cell: RecurrentLayer,
  returnSequences: boolean,
): Tf.RNN {
  // Keras note: every argument is explicit because tfjs's defaults differ from Keras 3
  // (hardSigmoid, glorotNormal, unitForgetBias off); see DOMAIN.md.
  const common = {
    name: cell.name,
    units: cell.units,
    activation: cell.activation,
    useBias: true,
    kernelInitializer: 'glorotUniform',
    recurrentInitializer: 'orthogonal',
    biasInitializer: 'zeros',
    dropout: cell.dropout,
    recurrentDropout: cell.recurrent_dropout,
    returnSequences,
    returnState: false,
    goBackwards: false,
    stateful: false,
    unroll: false,
    trainable: cell.trainable ?? true,
  } as const;
  const recurrentActivation: Activation = cell.recurrent_activation ?? 'sigmoid';
  switch (cell.kind) {
    case 'simple_rnn':
      return tf.layers.simpleRNN(common);
    case 'lstm':
      return tf.layers.lstm({ ...common, recurrentActivation, unitForgetBias: true });
    case 'gru': {
      if (cell.reset_after === true) {
        // The checker reports this (E3021); reaching here means an unchecked program.
        throw new Error(`${cell.name ?? 'gru'}: tfjs GRU does not support reset_after=true`);
      }
      // Keras note: Keras 3 defaults to reset_after=True (3(u(i+u)+2u) params); tfjs throws on it,
      // so rnnc's GRU is the reset_after=False variant with 3(u(i+u)+u).
      // GRULayerArgs omits `resetAfter` from its type though GRUCell reads it; the
      // intersection passes it explicitly without a cast.
      const gruArgs: Parameters<TfModule['layers']['gru']>[0] & { resetAfter: boolean } = {
        ...common,
        recurrentActivation,
        resetAfter: false,
      };
      return tf.layers.gru(gruArgs);
    }
  }
}

function tfLayer(tf: TfModule, layer: Layer, returnSequences: boolean, inputShape: (number | null)[] | undefined): Tf.layers.Layer {
  switch (layer.kind) {
    case 'embedding':
      return tf.layers.embedding({
        name: layer.name,
        inputDim: layer.input_dim,
        outputDim: layer.output_dim,
        embeddingsInitializer: embeddingInit(tf),
        maskZero: layer.mask_zero,
        trainable: layer.trainable,
        ...(inputShape ? { inputShape } : {}),
      });
    case 'simple_rnn':
    case 'lstm':
    case 'gru':
      return recurrentLayer(tf, layer, returnSequences);
    case 'bidirectional': {
      const bi = tf.layers.bidirectional({
        name: layer.name,
        layer: recurrentLayer(tf, layer.layer, returnSequences),
        mergeMode: layer.merge_mode,
      });
      // tfjs's Bidirectional constructor resets `trainable` to true after reading its args,
      // so the flag only sticks when set afterwards (the setter reaches both directions).
      bi.trainable = layer.trainable ?? true;
      return bi;
    }
    case 'dense':
      // On 3-D input (between two RNNs) Dense acts per time step and passes the padding mask
      // on, as in Keras, so the next RNN still skips padding.
      return tf.layers.dense({
        name: layer.name,
        units: layer.units,
        activation: layer.activation,
        useBias: true,
        kernelInitializer: 'glorotUniform',
        biasInitializer: 'zeros',
        trainable: layer.trainable ?? true,
      });
    case 'dropout':
      return tf.layers.dropout({ name: layer.name, rate: layer.rate });
  }
}

/**
 * Builds the tfjs layers model for a normalized, checked program: a `tf.sequential` whose
 * layers carry the IR's names and Keras 3 defaults, with `return_sequences` from the
 * stacking rule. The input is a batch of integer id sequences, `[batch, maxlen ?? any]`.
 * Throws (plain `Error`) only on programs the checker would have rejected.
 */
export function buildModel(tf: TfModule, program: Program, opts: BuildOptions = {}): LayersModel {
  const layers = program.layers;
  if (layers.length === 0 || layers[0]!.kind !== 'embedding') {
    throw new Error('the model must start with an embedding layer');
  }
  for (const l of layers) {
    if (!l.name || (l.kind === 'bidirectional' && !l.layer.name)) {
      throw new Error('buildModel needs a normalized program (every layer named)');
    }
  }
  const flags = returnSequencesFlags(layers);
  return withoutOrthogonalWarning(() => {
    const model = tf.sequential({ name: 'rnnc_model' });
    layers.forEach((layer, i) => {
      const inputShape = i === 0 ? [opts.maxlen ?? null] : undefined;
      model.add(tfLayer(tf, layer, flags[i]!, inputShape));
    });
    return model;
  });
}

// tfjs's Orthogonal initializer console.warns "Slowness may result" for any recurrent kernel
// over 2,000 entries (every LSTM from 23 units up). On wasm the QR behind it takes ~0.1 s for a
// 64-unit LSTM (cpu, the last resort, ~2 s), so the warning is noise in rnnc's output; it is
// dropped (only it) while the synchronous build runs.
// Bidirectional re-creates its initializers from config, so tuning the instance would not stick.
function withoutOrthogonalWarning<T>(build: () => T): T {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('Orthogonal initializer is being called')) return;
    warn(...args);
  };
  try {
    return build();
  } finally {
    console.warn = warn;
  }
}

/** Total, trainable and non-trainable parameter counts of a built tfjs model. */
export function countParams(model: LayersModel): ParamCounts {
  const size = (ws: readonly Tf.LayerVariable[]) =>
    ws.reduce((n, w) => n + w.shape.reduce<number>((a, d) => a * (d ?? 0), 1), 0);
  const trainable = size(model.trainableWeights);
  const nonTrainable = size(model.nonTrainableWeights);
  return { total: trainable + nonTrainable, trainable, nonTrainable };
}
