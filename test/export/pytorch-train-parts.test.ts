import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readDataset } from '../../src/data/readers.js';
import { modelBasePy, trainPy } from '../../src/export/pytorch/model-py.js';
import { afterEpoch } from '../../src/train/early-stopping.js';
import { repo } from '../cli/run.js';
import { runPython, torch } from '../support/torch.js';
import { tempDir } from '../train-e2e/helpers.js';

// The exported train.py against rnnc's own code on the same inputs: it must read the same
// examples from a TSV or CSV file (and skip as many rows), and stop early where rnnc stops.

const dir = tempDir('pytorch-train-parts');

const TABLES: [string, string | Buffer][] = [
  [
    'rows.tsv',
    'Label\t Text \n1\tgood\n0\t   \n\tno label\n1\ta\tthird field\n0\n\n1\t\u00a0spaced\u3000\n0\tlast, no line break',
  ],
  ['crlf.tsv', '\ufefflabel\ttext\r\n1\tone\r\n0\ttwo\r\n'],
  ['rows.csv', 'sentence,class\r\n"a ""quoted"" text, with a comma",pos\r\n"abc"def,neg\r\n"multi\nline",neg\r\n,pos\r\nx,y,z\r\nplain,neg\r\n'],
  ['big.csv', `label,text\n1,"${'w '.repeat(100_000)}"\n0,short\n`],
  // Not UTF-8: Windows-1252, a BOM still dropped, and the five bytes it leaves undefined.
  ['cp1252.tsv', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('label\ttext\n1\tcaf'), Buffer.from([0xe9, 0x20, 0x93, 0x81, 0x94, 0x0a])])],
];

const STOPPING: { losses: (number | 'NaN' | null)[]; epochs: number; patience: number }[] = [
  { losses: [1, 0.9, 0.95, 0.97, 0.99, 0.8], epochs: 6, patience: 2 },
  { losses: [1, 1.1, 1.2, 1.3, 1.4, 1.5], epochs: 6, patience: 0 },
  { losses: [1, 1.1, 1.2], epochs: 3, patience: 2 },
  { losses: [1, 1.1], epochs: 2, patience: 1 },
  { losses: ['NaN', 0.5, 'NaN', 'NaN'], epochs: 4, patience: 2 },
  { losses: [null, null, null], epochs: 3, patience: 1 },
];

describe.skipIf(!torch)("train.py reads data and stops early as rnnc does", () => {
  let got: { tables: { examples: { text: string; label: string }[]; skipped: number }[]; stopping: { improved: boolean; stop: boolean }[][] };
  beforeAll(async () => {
    writeFileSync(join(dir, 'model.py'), modelBasePy());
    writeFileSync(join(dir, 'train.py'), trainPy());
    for (const [name, content] of TABLES) writeFileSync(join(dir, name), content);
    writeFileSync(join(dir, 'job.json'), JSON.stringify({ train_py: join(dir, 'train.py'), tables: TABLES.map(([name]) => join(dir, name)), stopping: STOPPING }));
    const r = await runPython([join(repo, 'test/support/torch_train_parts.py'), join(dir, 'job.json')]);
    expect(r.code, r.stderr).toBe(0);
    got = JSON.parse(r.stdout) as typeof got;
  }, 120_000);

  TABLES.forEach(([name], k) => {
    it(`${name}: the same examples, and as many rows skipped as rnnc reports problems`, async () => {
      const ds = await readDataset(join(dir, name));
      expect(ds.examples.length).toBeGreaterThan(0);
      expect(got.tables[k]!.examples).toEqual(ds.examples);
      expect(got.tables[k]!.skipped).toBe(ds.problems.length);
    });
  });

  STOPPING.forEach((c, k) => {
    it(`early stopping on ${JSON.stringify(c.losses)}, patience ${c.patience}`, () => {
      let state = { bestEpoch: 0, bestValLoss: Infinity, wait: 0 };
      const want: { improved: boolean; stop: boolean }[] = [];
      for (const [i, loss] of c.losses.entries()) {
        const d = afterEpoch(state, i + 1, c.epochs, loss === null ? undefined : loss === 'NaN' ? NaN : loss, c.patience);
        want.push({ improved: d.improved, stop: d.stop });
        state = d;
        if (d.stop) break;
      }
      expect(got.stopping[k]).toEqual(want);
    });
  });
});
