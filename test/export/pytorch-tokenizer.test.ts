import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoCorpus } from '../../src/data/demo.js';
import { isFailure } from '../../src/diagnostics/error.js';
import { modelBasePy } from '../../src/export/pytorch/model-py.js';
import { pythonPattern } from '../../src/export/pytorch/pattern.js';
import { DEFAULT_TOKEN_PATTERN, Tokenizer } from '../../src/text/tokenizer.js';
import { repo } from '../cli/run.js';
import { tempDir } from '../train-e2e/helpers.js';
import { runPython, torch } from '../support/torch.js';

// The exported tokenizer (model.py's, on the token pattern rnnc translated to Python's `re`) must
// cut every text where rnnc's does: for the default pattern on real-looking and hostile text, and
// for user patterns that use the constructs whose meaning differs between the two dialects.

const dir = tempDir('pytorch-tokenizer');

const TEXTS = [
  ...demoCorpus().slice(0, 200).map((e) => e.text),
  "Don't stop — it's 10,000 times 3.5 better!! re-imagining the 21st century's 'quoted' ...",
  'Ünïcode é (e + U+0301: e\u0301) x\u0301 日本語のテキスト 😀👍🏽 ١٢٣ ٤.٥ a_b ǅ ﬁ ß İstanbul ΣΑΣ',
  'tabs\tand\nnewlines\r\nand\u2028separators\u00a0nbsp\ufeffbom \u200bzero-width',
  '', ' ', '\u0000 control \u0007 chars', 'lone \ud800 surrogate', 'ＦＵＬＬＷＩＤＴＨ ｔｅｘｔ ８', "it’s l'amour, l’été — «quotes» “curly” ‘single’",
  'numbers 1:30 10,000.50 3.14.15 .5 5. -7 +8 1e10 ²³ ½',
  'under_score snake_case CamelCase ALLCAPS MiXeD',
  'x$ end', 'A-Z AZ az 09 _-',
];

const PATTERNS: [string, boolean][] = [
  [DEFAULT_TOKEN_PATTERN, true],
  [DEFAULT_TOKEN_PATTERN, false],
  ['\\w+|[^\\w\\s]', true],
  ['\\d+|\\D', false],
  ["[a-z]+(?:'[a-z]+)?|\\S", true],
  ['\\b\\w+\\b', false],
  ['\\B\\w', false],
  ['.', false],
  ['[^]', false],
  ['\\p{Lu}\\p{Ll}*|\\P{L}', false],
  ['\\p{Script=Greek}+|\\p{sc=Han}+|[\\p{Emoji_Presentation}]', false],
  ['(?<w>\\p{L})(?<=[a-z]{2}|\\d\\d)|\\p{L}', true],
  ['[a-z]*|\\d', true],
  ['\\b|\\w', false],
  ['\\u{1F600}|[\\u0041-\\u005A]+|\\s|x$', false],
  ['[^\\s\\p{P}]+|\\p{P}', true],
  ['(?<=\\s)\\S+', true],
  ['[\\d.,]+|[\\-_]|\\S', false],
];

describe('token patterns in Python', () => {
  it('refuses what Python cannot say exactly, naming it (E4014)', () => {
    for (const [pattern, what] of [
      ['\\cA', 'the escape `\\c`'],
      ['(?i:a)', 'the group `(?i:`'],
      ['(?<=\\s+)\\w+', 'a look-behind that can match texts of different lengths'],
      ['(?<=^|\\s)\\w+', 'a look-behind that can match texts of different lengths'],
      ['(?<a$>x)', 'the group name `a$`'],
      ['(?:(a)|b)\\1c', 'a back-reference'],
      ['(?<w>a)\\k<w>', 'a back-reference'],
    ] as const) {
      let err: unknown;
      try {
        pythonPattern(pattern);
      } catch (e) {
        err = e;
      }
      expect(isFailure(err, 'CannotExport'), pattern).toBe(true);
      expect((err as Error).message).toContain(what);
    }
  });

  it('spells out character classes as code-point ranges and rewrites end of input, named groups and \\b', () => {
    expect(pythonPattern('[a-c]x')).toBe('[a-c]x');
    expect(pythonPattern('[^\\u0000-\\u{10FFFF}]')).toBe('(?!)');
    expect(pythonPattern('a$')).toBe('a\\Z');
    expect(pythonPattern('(?<w>a)b')).toBe('(?P<w>a)b');
    expect(pythonPattern('(?<=ab|cd)x{2}(?<!\\d{3})')).toBe('(?<=ab|cd)x{2}(?<![0-9]{3})');
    expect(pythonPattern('\\d')).toBe('[0-9]');
    expect(pythonPattern('\\.')).toBe('\\u002e');
    expect(pythonPattern('\\b')).toBe('(?:(?<=[0-9A-Za-z_])(?![0-9A-Za-z_])|(?<![0-9A-Za-z_])(?=[0-9A-Za-z_]))');
  });
});

describe.skipIf(!torch)("the exported tokenizer cuts text where rnnc's does", () => {
  let got: string[][][] = [];
  beforeAll(async () => {
    writeFileSync(join(dir, 'model.py'), modelBasePy());
    const jobs = PATTERNS.map(([pattern, lowercase]) => ({ pattern: pythonPattern(pattern), lowercase, texts: TEXTS }));
    writeFileSync(join(dir, 'job.json'), JSON.stringify({ model_py: join(dir, 'model.py'), jobs }));
    const r = await runPython([join(repo, 'test/support/torch_tokenize.py'), join(dir, 'job.json')]);
    expect(r.code, r.stderr).toBe(0);
    got = JSON.parse(r.stdout) as string[][][];
  }, 120_000);

  PATTERNS.forEach(([pattern, lowercase], k) => {
    it(`${pattern === DEFAULT_TOKEN_PATTERN ? 'the default pattern' : pattern}${lowercase ? ', lower-cased' : ''}`, () => {
      const tokenizer = new Tokenizer({ tokenPattern: pattern, lowercase });
      const want = TEXTS.map((t) => tokenizer.tokenize(t));
      // Some tokens at all, or the comparison says little.
      expect(want.flat().length).toBeGreaterThan(3);
      TEXTS.forEach((t, i) => expect(got[k]![i], JSON.stringify(t)).toEqual(want[i]));
    });
  });
});
