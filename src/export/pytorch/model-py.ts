import { existsSync, readFileSync } from 'node:fs';
import type { ExportLayer } from '../keras.js';
import { attributeNames } from './state-dict.js';

/**
 * model.py: the fixed part (model_base.py: layers, tokenizer, weights files) followed by the
 * model's own `Model` class, written out layer by layer so that a reader sees the architecture.
 */

/**
 * A Python file of this folder: beside this module in src/ and dist/export/pytorch/, and at
 * ../export/pytorch/ from the bundled CLI in dist/cli-bundle/ (scripts/bundle.mjs copies them).
 */
function pythonFile(name: string): string {
  const here = new URL(`./${name}`, import.meta.url);
  return readFileSync(existsSync(here) ? here : new URL(`../export/pytorch/${name}`, import.meta.url), 'utf8');
}

export function modelBasePy(): string {
  return pythonFile('model_base.py');
}

export function trainPy(): string {
  return pythonFile('train.py');
}

export function torchrunCompatPy(): string {
  return pythonFile('torchrun_compat.py');
}

/** A Python literal for a JSON-like value (strings as JSON strings, which Python reads the same). */
function py(v: string | number | boolean): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  return JSON.stringify(v);
}

function call(fn: string, args: (string | number | boolean)[], kwargs: Record<string, string | number | boolean | undefined>): string {
  const parts = [...args.map(py), ...Object.entries(kwargs).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${py(v)}`]))];
  return `${fn}(${parts.join(', ')})`;
}

/** What a layer is, in a few words, for the class docstring and the CLI's listing. */
export function describeTorch(l: ExportLayer): string {
  switch (l.kind) {
    case 'embedding':
      return `Embedding ${l.inputDim}×${l.outputDim}${l.maskZero ? ', id 0 masked' : ''}${l.trainable ? '' : ', frozen'}`;
    case 'recurrent': {
      const cell = { simple_rnn: 'SimpleRNN', lstm: 'LSTM', gru: 'GRU' }[l.cell];
      const native = (l.cell === 'lstm' && l.activation === 'tanh' && l.recurrentActivation === 'sigmoid') || (l.cell === 'simple_rnn' && (l.activation === 'tanh' || l.activation === 'relu'));
      return `${cell}(${l.units})${l.directions.length === 2 ? ` bidirectional, ${l.merge}` : ''}${l.returnSequences ? ', sequence' : ''} on ${native ? `nn.${l.cell === 'lstm' ? 'LSTM' : 'RNN'}` : 'the step loop'}`;
    }
    case 'dense':
      return `Linear ${l.inputSize}→${l.units}${l.activation === 'linear' ? '' : ` + ${l.activation}`}`;
    case 'dropout':
      return `Dropout ${l.rate} (training only)`;
  }
}

export interface ModelPyMeta {
  labels?: readonly string[];
  /** Where the model came from, for the header comment. */
  source: string;
  rnncVersion: string;
}

/** The whole model.py for `layers`. */
export function modelPy(layers: readonly ExportLayer[], meta: ModelPyMeta): string {
  const names = attributeNames(layers);
  const init: string[] = [];
  const forward: string[] = [];
  const head = [...layers].reverse().find((l) => l.kind !== 'dropout');
  const outputActivation = head?.kind === 'dense' ? head.activation : 'linear';
  layers.forEach((l, i) => {
    const a = names[i]!;
    switch (l.kind) {
      case 'embedding':
        init.push(`self.${a} = ${call('Embedding', [l.inputDim, l.outputDim], { mask_zero: l.maskZero, trainable: l.trainable })}`);
        forward.push(`x, lengths = self.${a}(ids)`);
        break;
      case 'recurrent':
        init.push(
          `self.${a} = ${call('Recurrent', [l.cell, l.inputSize, l.units], {
            bidirectional: l.directions.length === 2,
            merge: l.directions.length === 2 ? l.merge : undefined,
            return_sequences: l.returnSequences,
            activation: l.activation,
            recurrent_activation: l.cell === 'simple_rnn' ? undefined : l.recurrentActivation,
            bias: l.directions[0]!.bias !== null,
            dropout: l.dropout || undefined,
            recurrent_dropout: l.recurrentDropout || undefined,
            trainable: l.trainable,
          })}`,
        );
        forward.push(`x = self.${a}(x, lengths)`);
        break;
      case 'dense':
        init.push(`self.${a} = ${call('Dense', [l.inputSize, l.units], { activation: l.activation, bias: l.bias !== null, trainable: l.trainable })}`);
        forward.push(l === head ? `x = self.${a}(x, logits=logits)` : `x = self.${a}(x)`);
        break;
      case 'dropout':
        init.push(`self.${a} = nn.Dropout(${py(l.rate)})`);
        forward.push(`x = self.${a}(x)`);
        break;
    }
  });
  const outDoc =
    outputActivation === 'sigmoid' && head?.kind === 'dense' && head.units === 1
      ? `P(labels[1]) [batch, 1]`
      : outputActivation === 'softmax'
        ? `one probability per label [batch, ${head?.kind === 'dense' ? head.units : '?'}]`
        : `the last layer's values`;
  const lines = [
    modelBasePy().trimEnd(),
    '',
    '',
    '# ' + '-'.repeat(95),
    `# The model, written by rnnc ${meta.rnncVersion} from ${meta.source}.`,
    '',
    `LABELS = ${JSON.stringify(meta.labels ?? [])}`,
    '',
    '',
    'class Model(nn.Module):',
    '    """The layers, in order:',
    ...layers.map((l, i) => `      ${names[i]}: ${describeTorch(l)}`),
    '',
    `    Input: int64 word ids [batch, time], 0 = padding. Output: ${outDoc};`,
    '    with logits=True, the head\'s values before its sigmoid or softmax (what a loss on logits',
    '    wants)."""',
    '',
    '    labels = LABELS',
    `    output_activation = ${py(outputActivation)}`,
    '',
    '    def __init__(self):',
    '        super().__init__()',
    ...init.map((s) => `        ${s}`),
    '',
    '    def forward(self, ids, logits=False):',
    ...forward.map((s) => `        ${s}`),
    '        return x',
    '',
  ];
  return lines.join('\n');
}
