import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fail, reasonOf, RnncError } from '../diagnostics/error.js';
import { Vocab } from '../text/vocab.js';
import { formatCount } from '../util/numbers.js';
import { MODEL_JSON, SPEC_JSON, VOCAB_JSON, WEIGHTS_BIN } from './layout.js';
import { resolveModelDir } from './store.js';
import { checkWeightBytes, describedBytes, manifestEntries, parseModelJson, sliceWeights, type ModelJson, type WeightEntry } from './weights.js';

const FOLDER_HELP = 'give a folder that `rnnc train -o DIR` or `rnnc compile -o DIR` wrote';

/** A model folder's weights, checked against its manifest. */
export interface FolderWeights {
  json: ModelJson;
  entries: WeightEntry[];
  /** All shards, concatenated in manifest order. */
  bytes: Buffer;
}

/** A trained model's embedding, read without building the model. */
export interface StoredEmbedding {
  vocab: Vocab;
  /** Row-major inputDim × dim. */
  matrix: Float32Array;
  inputDim: number;
  dim: number;
}

/**
 * One model folder, read: every command that reads one (predict, eval, vectors, train's
 * `--resume` and `from:` transfer) reads it through here, so each file is checked the same way
 * and every problem is BadModelDir (E4006) naming the file. The folder is resolved once (see
 * store.ts), so all files come from one version even while a writer replaces it.
 */
export class ModelFolder {
  private constructor(
    /** As the user gave it, for messages. */
    readonly dir: string,
    /** The version folder actually read. */
    readonly path: string,
  ) {}

  static async open(dir: string): Promise<ModelFolder> {
    return new ModelFolder(dir, await resolveModelDir(dir));
  }

  /** A folder already resolved (e.g. the run `--resume` continues). */
  static at(dir: string, path: string): ModelFolder {
    return new ModelFolder(dir, path);
  }

  /** The path of one of its files as messages show it. */
  shown(name: string): string {
    return join(this.dir, name);
  }

  /** Whether the folder has the file (vocab.json is in trained models only). */
  async has(name: string): Promise<boolean> {
    try {
      await access(join(this.path, name));
      return true;
    } catch {
      return false;
    }
  }

  async bytes(name: string): Promise<Buffer> {
    try {
      return await readFile(join(this.path, name));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const file = this.shown(name);
      if (code === 'ENOENT') throw fail('BadModelDir', `${file} is missing`, { file, help: FOLDER_HELP });
      throw fail(code === 'EISDIR' ? 'BadModelDir' : 'CannotRead', `cannot read ${file}: ${reasonOf(e)}`, { file });
    }
  }

  async json(name: string): Promise<unknown> {
    const text = (await this.bytes(name)).toString('utf8');
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      throw fail('BadModelDir', `${this.shown(name)} is not valid JSON (${reasonOf(e)})`, { file: this.shown(name) });
    }
  }

  async modelJson(): Promise<ModelJson> {
    return parseModelJson((await this.bytes(MODEL_JSON)).toString('utf8'), this.shown(MODEL_JSON));
  }

  /** model.json and its weights, their sizes checked against each other. */
  async weights(): Promise<FolderWeights> {
    const json = await this.modelJson();
    const chunks: Buffer[] = [];
    for (const g of json.weightsManifest) for (const p of g.paths) chunks.push(await this.bytes(p));
    const bytes = Buffer.concat(chunks);
    const entries = manifestEntries(json);
    checkWeightBytes(entries, bytes.length, this.shown(json.weightsManifest[0]?.paths[0] ?? WEIGHTS_BIN));
    return { json, entries, bytes };
  }

  /** The weights as float32 arrays in manifest order (models rnnc writes are all float32). */
  async weightValues(): Promise<Float32Array[]> {
    const { entries, bytes } = await this.weights();
    const bad = entries.find((w) => w.dtype !== 'float32');
    if (bad) throw fail('BadModelDir', `${this.shown(MODEL_JSON)}: weight ${bad.name} is ${bad.dtype}, not float32`, { file: this.shown(MODEL_JSON) });
    return sliceWeights(entries, bytes).values as Float32Array[];
  }

  /** vocab.json, checked; `needMaxlen` for prediction, which pads to it. */
  async vocab(needMaxlen = true): Promise<Vocab> {
    const file = this.shown(VOCAB_JSON);
    const json = await this.json(VOCAB_JSON);
    let vocab: Vocab;
    try {
      vocab = Vocab.fromJSON(json);
    } catch (e) {
      if (e instanceof RnncError) throw fail('BadModelDir', `${file}: ${e.message.replace(/^vocab\.json: /, '')}`, { file });
      throw e;
    }
    if (needMaxlen && vocab.maxlen === undefined) throw fail('BadModelDir', `${file} has no maxlen`, { file });
    return vocab;
  }

  /** spec.json's layers (the IR the model was built from), as plain JSON. */
  async spec(): Promise<{ layers?: unknown[] } & Record<string, unknown>> {
    const json = await this.json(SPEC_JSON);
    if (json === null || typeof json !== 'object' || Array.isArray(json)) throw fail('BadModelDir', `${this.shown(SPEC_JSON)} must hold an object`, { file: this.shown(SPEC_JSON) });
    return json as Record<string, unknown>;
  }

  /**
   * The embedding matrix and vocabulary, checked as a whole before a number is used: a
   * truncated weights.bin, a manifest that lies about a shape, a vocabulary that does not fit
   * the embedding or values that are not finite would otherwise pass on garbage. The embedding
   * is the first weight named `…/embeddings`, as tfjs names an Embedding layer's matrix.
   */
  async embedding(): Promise<StoredEmbedding> {
    const vocab = await this.vocab(false);
    const { entries, bytes } = await this.weights();
    const index = entries.findIndex((w) => /(^|\/)embeddings(_\d+)?$/.test(w.name));
    const w = entries[index];
    if (!w) throw fail('BadModelDir', `${this.shown(MODEL_JSON)} lists no embedding weights`, { file: this.shown(MODEL_JSON) });
    if (w.dtype !== 'float32' || w.shape.length !== 2) {
      throw fail('BadModelDir', `${this.shown(MODEL_JSON)}: the embedding ${w.name} is not a float32 matrix`, { file: this.shown(MODEL_JSON) });
    }
    const [rows, dim] = w.shape as [number, number];
    // Fewer distinct words than the vocabulary size leave rows unused; more ids than rows cannot be.
    if (rows < vocab.size) {
      throw fail('BadModelDir', `${this.dir}: vocab.json has ${formatCount(vocab.size)} ids but the embedding ${w.name} has ${formatCount(rows)} rows: they are not from one training run`, {
        file: this.shown(VOCAB_JSON),
      });
    }
    const offset = describedBytes(entries.slice(0, index));
    const matrix = sliceWeights([w], bytes, offset).values[0] as Float32Array;
    if (!matrix.every(Number.isFinite)) throw fail('BadModelDir', `${this.dir}: the embedding ${w.name} holds values that are not finite numbers`, { file: this.shown(WEIGHTS_BIN) });
    return { vocab, matrix, inputDim: rows, dim };
  }
}
