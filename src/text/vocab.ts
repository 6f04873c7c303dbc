import { fail, RnncError } from '../diagnostics/error.js';
import { Tokenizer, type TokenizerOptions } from './tokenizer.js';
import { formatCount } from '../util/numbers.js';
import { MAX_ENCODED_IDS, MAX_MAXLEN } from '../limits.js';

/** Id 0: padding. Models mask it (`mask_zero`), so it never reaches a recurrent cell. */
export const PAD_ID = 0;
/** Id 1: any word not in the vocabulary. */
export const OOV_ID = 1;
export const PAD_TOKEN = '<pad>';
export const OOV_TOKEN = '<unk>';

export const VOCAB_FORMAT = 'rnnc-vocab';
export const VOCAB_VERSION = 1;

/**
 * Where padding goes and which end a long text loses, with Keras `pad_sequences` names.
 * 'post' padding: ids at the end; 'post' truncating: drop the end (keep the beginning).
 */
export interface SequenceOptions {
  padding: 'pre' | 'post';
  truncating: 'pre' | 'post';
}

/**
 * Our default is end padding, keep the beginning. Keras defaults to 'pre' for both because an
 * unmasked forward RNN should finish on real words; our embeddings mask id 0, so the padding side
 * does not change what a (bi)directional RNN reads, and end padding keeps token i at position i,
 * which makes encoded batches easy to read and compare. Keeping the beginning matches the text a
 * reader sees first; the choice is stored in vocab.json, and 'pre' remains available.
 */
export const DEFAULT_SEQUENCE_OPTIONS: Readonly<SequenceOptions> = { padding: 'post', truncating: 'post' };

/** The `vocab.json` written next to a trained model: everything needed to map text to ids again. */
export interface VocabJSON {
  format: typeof VOCAB_FORMAT;
  version: typeof VOCAB_VERSION;
  tokenizer: TokenizerOptions;
  padding: SequenceOptions['padding'];
  truncating: SequenceOptions['truncating'];
  maxlen?: number;
  /** Class labels in output order (index = class id). */
  labels: string[];
  /** Index = id; words[0] is PAD_TOKEN, words[1] is OOV_TOKEN. */
  words: string[];
}

export interface BuildVocabOptions extends Partial<SequenceOptions> {
  /** Maximum number of ids, counting padding (0) and out-of-vocabulary (1): the embedding's input_dim. */
  size: number;
  /** Words seen fewer times than this get the out-of-vocabulary id (default 1). */
  minCount?: number;
  tokenizer?: Partial<TokenizerOptions>;
  labels?: readonly string[];
  maxlen?: number;
}

/** Numbers from building a vocabulary, for messages like "kept 9,998 of 18,000 words". */
export interface VocabStats {
  texts: number;
  tokens: number;
  distinctWords: number;
  keptWords: number;
  /** Training tokens whose word got an id of its own. */
  coveredTokens: number;
}

/** How much of some text a vocabulary covers. */
export interface Coverage {
  tokens: number;
  knownTokens: number;
  types: number;
  knownTypes: number;
  /** knownTokens / tokens (1 for no tokens). */
  tokenRate: number;
  /** knownTypes / types (1 for no tokens). */
  typeRate: number;
}

/** A malformed vocab.json: the vocabulary belongs to a model folder (E4006). */
function vocabError(message: string): RnncError {
  return fail('BadModelDir', message);
}

export interface VocabOptions extends Partial<SequenceOptions> {
  tokenizer?: Partial<TokenizerOptions>;
  labels?: readonly string[];
  maxlen?: number;
}

/** Word ↔ id mapping plus the tokenizer and sequence settings that produced it. */
export class Vocab {
  /** Index = id. */
  readonly words: readonly string[];
  readonly tokenizer: Tokenizer;
  readonly labels: readonly string[];
  readonly maxlen: number | undefined;
  readonly sequence: Readonly<SequenceOptions>;
  /** Set by `Vocab.build`; undefined for a vocabulary read from JSON. */
  stats: VocabStats | undefined;
  private readonly ids: Map<string, number>;

  constructor(words: readonly string[], options: VocabOptions = {}) {
    if (words[PAD_ID] !== PAD_TOKEN || words[OOV_ID] !== OOV_TOKEN) {
      throw vocabError(`a vocabulary must start with "${PAD_TOKEN}" (id 0) and "${OOV_TOKEN}" (id 1)`);
    }
    this.words = Object.freeze([...words]);
    this.ids = new Map();
    words.forEach((w, i) => {
      if (this.ids.has(w)) throw vocabError(`word ${JSON.stringify(w)} appears twice (ids ${this.ids.get(w)} and ${i})`);
      this.ids.set(w, i);
    });
    this.tokenizer = new Tokenizer(options.tokenizer);
    this.labels = Object.freeze([...(options.labels ?? [])]);
    if (options.maxlen !== undefined) checkMaxlen(options.maxlen);
    this.maxlen = options.maxlen;
    this.sequence = Object.freeze({
      padding: options.padding ?? DEFAULT_SEQUENCE_OPTIONS.padding,
      truncating: options.truncating ?? DEFAULT_SEQUENCE_OPTIONS.truncating,
    });
    this.stats = undefined;
  }

  /**
   * Builds a vocabulary from training texts: the `size - 2` most frequent words get ids 2, 3, …
   * in order of decreasing count. Ties are broken alphabetically (by UTF-16 code unit), so the
   * ids depend only on the multiset of texts, not on their order: shuffling or re-splitting the
   * same training set gives the same vocabulary.
   */
  static build(texts: Iterable<string>, options: BuildVocabOptions): Vocab {
    if (!Number.isInteger(options.size) || options.size < 2) {
      // The checked IR guarantees this (embed's vocabulary is at least 2): a bug, not bad input.
      throw new RangeError(`vocabulary size must be an integer ≥ 2 (padding and unknown ids), got ${options.size}`);
    }
    const minCount = options.minCount ?? 1;
    const tokenizer = new Tokenizer(options.tokenizer);
    const counts = new Map<string, number>();
    let nTexts = 0;
    let nTokens = 0;
    for (const text of texts) {
      nTexts++;
      for (const t of tokenizer.tokenize(text)) {
        nTokens++;
        counts.set(t, (counts.get(t) ?? 0) + 1);
      }
    }
    // A custom token pattern could produce the reserved strings; they must not get a second id.
    counts.delete(PAD_TOKEN);
    counts.delete(OOV_TOKEN);
    const ranked = [...counts].filter(([, c]) => c >= minCount);
    ranked.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const kept = ranked.slice(0, options.size - 2);
    const vocabOptions: VocabOptions = { tokenizer: tokenizer.options };
    if (options.labels) vocabOptions.labels = options.labels;
    if (options.maxlen !== undefined) vocabOptions.maxlen = options.maxlen;
    if (options.padding) vocabOptions.padding = options.padding;
    if (options.truncating) vocabOptions.truncating = options.truncating;
    const vocab = new Vocab([PAD_TOKEN, OOV_TOKEN, ...kept.map(([w]) => w)], vocabOptions);
    vocab.stats = {
      texts: nTexts,
      tokens: nTokens,
      distinctWords: counts.size,
      keptWords: kept.length,
      coveredTokens: kept.reduce((s, [, c]) => s + c, 0),
    };
    return vocab;
  }

  /** Number of ids, including padding and out-of-vocabulary. */
  get size(): number {
    return this.words.length;
  }

  /** The id of a token (already tokenized and cased), or OOV_ID. */
  idOf(token: string): number {
    return this.ids.get(token) ?? OOV_ID;
  }

  /** Ids of all tokens of a text, unpadded. */
  tokenIds(text: string): number[] {
    return this.tokenizer.tokenize(text).map((t) => this.idOf(t));
  }

  /** Ids of a text padded with PAD_ID or truncated to `maxlen` (default: the vocabulary's maxlen). */
  encode(text: string, maxlen: number | undefined = this.maxlen): Int32Array {
    const n = this.requireMaxlen(maxlen);
    const out = new Int32Array(n);
    this.encodeInto(text, out, 0, n);
    return out;
  }

  /** Encodes many texts into one row-major `texts.length × maxlen` array (a ready tensor buffer). */
  encodeBatch(texts: readonly string[], maxlen: number | undefined = this.maxlen): Int32Array {
    const n = this.requireMaxlen(maxlen);
    if (texts.length * n > MAX_ENCODED_IDS) {
      throw fail('ResourceLimit', `${formatCount(texts.length)} texts × maxlen ${formatCount(n)} is ${formatCount(texts.length * n)} token ids, over the limit of ${formatCount(MAX_ENCODED_IDS)} (1 GiB)`, {
        help: 'lower `maxlen`, or use fewer examples',
      });
    }
    const out = new Int32Array(texts.length * n);
    texts.forEach((t, i) => this.encodeInto(t, out, i * n, n));
    return out;
  }

  /** The words of some ids, for debugging and `--explain` output. */
  decode(ids: ArrayLike<number>, options: { skipPadding?: boolean } = {}): string[] {
    const out: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (options.skipPadding !== false && id === PAD_ID) continue;
      out.push(this.words[id] ?? OOV_TOKEN);
    }
    return out;
  }

  /** Share of tokens and distinct tokens of `texts` that have an id other than OOV_ID. */
  coverage(texts: Iterable<string>): Coverage {
    let tokens = 0;
    let knownTokens = 0;
    const types = new Set<string>();
    for (const text of texts) {
      for (const t of this.tokenizer.tokenize(text)) {
        tokens++;
        if (this.ids.has(t)) knownTokens++;
        types.add(t);
      }
    }
    let knownTypes = 0;
    for (const t of types) if (this.ids.has(t)) knownTypes++;
    return {
      tokens,
      knownTokens,
      types: types.size,
      knownTypes,
      tokenRate: tokens === 0 ? 1 : knownTokens / tokens,
      typeRate: types.size === 0 ? 1 : knownTypes / types.size,
    };
  }

  toJSON(): VocabJSON {
    const json: VocabJSON = {
      format: VOCAB_FORMAT,
      version: VOCAB_VERSION,
      tokenizer: { ...this.tokenizer.options },
      padding: this.sequence.padding,
      truncating: this.sequence.truncating,
      labels: [...this.labels],
      words: [...this.words],
    };
    if (this.maxlen !== undefined) json.maxlen = this.maxlen;
    return json;
  }

  /** Reads what `toJSON` wrote (parsed JSON); throws BadModelDir (E4006) naming the first bad field. */
  static fromJSON(json: unknown): Vocab {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) throw vocabError('vocab.json must hold an object');
    const o = json as Record<string, unknown>;
    if (o.format !== VOCAB_FORMAT) throw vocabError(`vocab.json: "format" must be "${VOCAB_FORMAT}"`);
    if (o.version !== VOCAB_VERSION) throw vocabError(`vocab.json: unsupported version ${JSON.stringify(o.version)} (expected ${VOCAB_VERSION})`);
    const strings = (v: unknown, field: string): string[] => {
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw vocabError(`vocab.json: "${field}" must be an array of strings`);
      return v;
    };
    const t = o.tokenizer;
    if (typeof t !== 'object' || t === null) throw vocabError('vocab.json: "tokenizer" must be an object');
    const tok = t as Record<string, unknown>;
    if (typeof tok.lowercase !== 'boolean') throw vocabError('vocab.json: "tokenizer.lowercase" must be a boolean');
    if (typeof tok.tokenPattern !== 'string') throw vocabError('vocab.json: "tokenizer.tokenPattern" must be a string');
    const side = (v: unknown, field: string): 'pre' | 'post' => {
      if (v !== 'pre' && v !== 'post') throw vocabError(`vocab.json: "${field}" must be "pre" or "post"`);
      return v;
    };
    if (o.maxlen !== undefined && typeof o.maxlen !== 'number') throw vocabError('vocab.json: "maxlen" must be a number');
    const options: VocabOptions = {
      tokenizer: { lowercase: tok.lowercase, tokenPattern: tok.tokenPattern },
      labels: strings(o.labels, 'labels'),
      padding: side(o.padding, 'padding'),
      truncating: side(o.truncating, 'truncating'),
    };
    if (typeof o.maxlen === 'number') options.maxlen = o.maxlen;
    const words = strings(o.words, 'words');
    try {
      return new Vocab(words, options);
    } catch (e) {
      if (e instanceof RnncError) throw vocabError(`vocab.json: ${e.message}`);
      throw e;
    }
  }

  private requireMaxlen(maxlen: number | undefined): number {
    if (maxlen === undefined) throw vocabError('encode needs a maxlen (none given and the vocabulary has none)');
    checkMaxlen(maxlen);
    return maxlen;
  }

  private encodeInto(text: string, out: Int32Array, offset: number, maxlen: number): void {
    let ids = this.tokenIds(text);
    if (ids.length > maxlen) ids = this.sequence.truncating === 'post' ? ids.slice(0, maxlen) : ids.slice(ids.length - maxlen);
    // `out` is zero-filled, and PAD_ID is 0, so only the ids need writing.
    const start = this.sequence.padding === 'post' ? 0 : maxlen - ids.length;
    for (let i = 0; i < ids.length; i++) out[offset + start + i] = ids[i]!;
  }
}

function checkMaxlen(maxlen: number): void {
  if (!Number.isInteger(maxlen) || maxlen < 1) throw vocabError(`maxlen must be a positive integer, got ${maxlen}`);
  // A vocab.json from disk is not trusted: a huge maxlen would allocate gigabytes per batch.
  if (maxlen > MAX_MAXLEN) throw vocabError(`maxlen must be at most ${formatCount(MAX_MAXLEN)}, got ${formatCount(maxlen)}`);
}
