/**
 * The front end's limits, in one place. Each bounds memory, time or recursion depth for
 * hostile or accidental input, far above any real spec; exceeding one is a diagnostic (for a
 * request to `rnnc serve`, an HTTP error), never a crash. The README's "Limits" section lists them.
 */

/** Larger sources are refused before lexing. */
export const MAX_SOURCE_CHARS = 4 * 1024 * 1024;

/**
 * A spec with more tokens (comments and brackets reported as unmatched not counted) is refused
 * before parsing: the parser's tree takes about a kilobyte per statement, so 4 Mi characters of
 * `1 1 1 …` (two million one-token statements) ran out of memory. A 1,000-layer model written
 * out in full is some 15,000 tokens.
 */
export const MAX_TOKENS = 50_000;

/**
 * Deeper nesting — parentheses in a spec, arrays and objects in IR JSON — is refused before
 * parsing or walking, so recursive code cannot overflow the stack.
 */
export const MAX_NESTING = 64;

/** `let` bindings referring to bindings more deeply than this are refused (the lowering recurses). */
export const MAX_BINDING_DEPTH = 256;

/** `stage xN`: N at most this. */
export const MAX_REPEAT = 1000;

/** Layers a model may have once repeats and bindings are expanded (nested repeats multiply). */
export const MAX_LAYERS = 1000;

/** One run reports at most this many diagnostics; past it a last one says how many more there were. */
export const MAX_DIAGNOSTICS = 100;

/**
 * Longest line (or CSV record) of a data file that is read: a review is thousands of characters;
 * a longer line is reported and skipped without being held in memory or quoted.
 */
export const MAX_DATA_LINE_CHARS = 1_000_000;

/**
 * The most bytes of data read for one run's data set (all files of a folder together). The
 * examples are held in memory as JavaScript strings, and Node's heap stops at about 4 GiB; a
 * larger file is refused when the limit is passed, long before memory runs out.
 */
export const MAX_DATA_BYTES = 2 ** 30;

/**
 * The most token ids encoded at once (examples × maxlen, 4 bytes each: 1 GiB), e.g. 2.6 million
 * reviews at maxlen 100. More is refused with a diagnostic rather than failing to allocate.
 */
export const MAX_ENCODED_IDS = 2 ** 28;

/** The longest `maxlen` (steps a text is cut or padded to): in a spec, a flag or a vocab.json. */
export const MAX_MAXLEN = 100_000;

/** The largest request body `rnnc serve` reads (1 MiB); a larger one is answered 413. */
export const MAX_REQUEST_BYTES = 1024 * 1024;

/** The most texts in one `rnnc serve` request; more is answered 413. */
export const MAX_REQUEST_TEXTS = 1000;

/**
 * The most `rnnc serve` requests waiting for (or running) a prediction, which run one at a time;
 * one more is answered 503 with Retry-After, rather than held in memory indefinitely.
 */
export const MAX_WAITING_REQUESTS = 64;
