import type { ModelFolder } from '../../artifacts/model-folder.js';
import { METRICS_JSON, MODEL_JSON, SPEC_JSON, VOCAB_JSON } from '../../artifacts/layout.js';
import type { ModelJson, WeightEntry } from '../../artifacts/weights.js';
import { SETTING_BY_NAME } from '../../ir/settings.js';
import type { TrainSettings } from '../../ir/types.js';
import { readKerasModel, sequenceOutput, type ExportLayer } from '../keras.js';
import { fail } from '../../diagnostics/error.js';
import { encodeSafetensors } from '../safetensors.js';
import { describeTorch, modelPy, torchrunCompatPy, trainPy } from './model-py.js';
import { pythonPattern } from './pattern.js';
import { exportReadme } from './readme.js';
import { torchStateDict } from './state-dict.js';

/**
 * PyTorch export of a model folder: a folder holding
 * - `model.py`: the model as an `nn.Module` (layers, masking, head), its tokenizer, and the
 *   weights-file reader, needing nothing but PyTorch;
 * - `state_dict.safetensors`: the weights in the module's names and PyTorch's layouts
 *   (state-dict.ts);
 * - `train.py`: continues training on TSV/CSV data, on one process or under torchrun with DDP;
 * - `export.json`: the training settings and the tokenizer's pattern in Python's dialect;
 * - the model folder's `vocab.json`, `model.json` and `spec.json` (what `rnnc import` needs to
 *   build a model folder again), and a README.
 */

export const WEIGHTS_FILE = 'state_dict.safetensors';
export const EXPORT_JSON = 'export.json';
export const EXPORT_FORMAT = 'rnnc-pytorch';

export interface PytorchExport {
  /** File name → contents, in the order they are best written (the weights last). */
  files: Map<string, string | Uint8Array>;
  layers: { name: string; torch: string }[];
  hasVocab: boolean;
}

export interface PytorchSource {
  json: ModelJson;
  entries: readonly WeightEntry[];
  bytes: Uint8Array;
  /** model.json's name in diagnostics. */
  file: string;
  /** For the header comments. */
  source: string;
  rnncVersion: string;
  /** vocab.json's text, when there is one. */
  vocabJson?: string;
  specJson?: string;
  /** The settings the model was trained with (metrics.json), or the spec's own. */
  settings?: TrainSettings;
}

/** A training setting train.py starts from: the run's, else the spec's, else rnnc's default. */
function setting<K extends keyof TrainSettings>(s: TrainSettings | undefined, name: K): NonNullable<TrainSettings[K]> {
  return (s?.[name] ?? SETTING_BY_NAME.get(name)?.default) as NonNullable<TrainSettings[K]>;
}

export function buildPytorch(src: PytorchSource): PytorchExport {
  const layers: ExportLayer[] = readKerasModel(src.json, src.entries, src.bytes, src.file, 'PyTorch');
  const top = sequenceOutput(layers);
  if (top !== undefined) {
    throw fail('CannotExport', `layer \`${top}\`: the model's output is a sequence (a recurrent layer returns sequences to the end); PyTorch export covers models whose top recurrent layer returns its last state`, { file: src.file });
  }
  const given = src.settings;
  const vocab = src.vocabJson !== undefined ? (JSON.parse(src.vocabJson) as { labels?: string[]; maxlen?: number; tokenizer?: { tokenPattern?: string } }) : undefined;
  const tokenPattern = vocab?.tokenizer?.tokenPattern ?? setting(given, 'token_pattern');
  const exportJson = {
    format: EXPORT_FORMAT,
    version: 1,
    rnnc_version: src.rnncVersion,
    source: src.source,
    labels: vocab?.labels ?? [],
    settings: {
      optimizer: setting(given, 'optimizer'),
      lr: setting(given, 'lr'),
      loss: setting(given, 'loss'),
      epochs: setting(given, 'epochs'),
      batch: setting(given, 'batch'),
      patience: setting(given, 'patience'),
      seed: setting(given, 'seed'),
      ...(given?.label_column !== undefined ? { label_column: given.label_column } : {}),
      ...(given?.text_column !== undefined ? { text_column: given.text_column } : {}),
    },
    token_pattern: tokenPattern,
    python_token_pattern: pythonPattern(tokenPattern),
  };
  const files = new Map<string, string | Uint8Array>();
  files.set('model.py', modelPy(layers, { source: src.source, rnncVersion: src.rnncVersion, ...(vocab?.labels ? { labels: vocab.labels } : {}) }));
  files.set('train.py', trainPy());
  files.set('torchrun_compat.py', torchrunCompatPy());
  files.set(EXPORT_JSON, `${JSON.stringify(exportJson, null, 1)}\n`);
  if (src.vocabJson !== undefined) files.set(VOCAB_JSON, src.vocabJson);
  // model.json without its weights' bytes: the topology and manifest `rnnc import` rebuilds from.
  files.set(MODEL_JSON, JSON.stringify(src.json));
  if (src.specJson !== undefined) files.set(SPEC_JSON, src.specJson);
  const described = layers.map((l) => ({ name: l.name, torch: describeTorch(l) }));
  files.set('README.md', exportReadme({ layers: described, labels: vocab?.labels ?? [], hasVocab: src.vocabJson !== undefined, settings: exportJson.settings, source: src.source }));
  files.set(WEIGHTS_FILE, encodeSafetensors(torchStateDict(layers), { format: 'pt', producer: `rnnc ${src.rnncVersion}` }));
  return { files, layers: described, hasVocab: src.vocabJson !== undefined };
}

/** The PyTorch export of the model in a model folder. */
export async function exportPytorch(folder: ModelFolder, rnncVersion: string): Promise<PytorchExport> {
  const { json, entries, bytes } = await folder.weights();
  const text = async (name: string) => ((await folder.has(name)) ? (await folder.bytes(name)).toString('utf8') : undefined);
  const vocabJson = await text(VOCAB_JSON);
  if (vocabJson !== undefined) await folder.vocab(false); // checked, as predict would
  const specJson = await text(SPEC_JSON);
  let settings: TrainSettings | undefined;
  if (await folder.has(METRICS_JSON)) {
    settings = ((await folder.json(METRICS_JSON)) as { settings?: TrainSettings }).settings;
  } else if (specJson !== undefined) {
    try {
      settings = (JSON.parse(specJson) as { train?: TrainSettings } | null)?.train;
    } catch {
      throw fail('BadModelDir', `${folder.shown(SPEC_JSON)} is not JSON`, { file: folder.shown(SPEC_JSON) });
    }
  }
  return buildPytorch({
    json,
    entries,
    bytes,
    file: folder.shown(MODEL_JSON),
    source: folder.dir,
    rnncVersion,
    ...(vocabJson !== undefined ? { vocabJson } : {}),
    ...(specJson !== undefined ? { specJson } : {}),
    ...(settings ? { settings } : {}),
  });
}
