import { join, resolve } from 'node:path';
import { DEMO_SEED, DEMO_SIZE, demoCorpusTsv } from '../../data/demo.js';
import { DATASETS, defaultCacheDir, fetchDataset, renderProgress, type DatasetName } from '../../data/fetch.js';
import { readDataset } from '../../data/readers.js';
import { optFlag, optString, UsageError, type ParsedArgs } from '../args.js';
import { EXIT_OK } from '../exit.js';
import { writeOutputFile, type Io } from '../io.js';

async function fetchCommand(io: Io, args: ParsedArgs, name: string | undefined): Promise<number> {
  if (!name) throw new UsageError(`which dataset? known: ${Object.keys(DATASETS).join(', ')}`);
  if (!(name in DATASETS)) throw new UsageError(`unknown dataset ${JSON.stringify(name)} (known: ${Object.keys(DATASETS).join(', ')})`);
  const cacheDir = optString(args, 'cache') ?? defaultCacheDir();
  const url = optString(args, 'url');
  const archive = optString(args, 'archive');
  if (archive !== undefined && url !== undefined) throw new UsageError('give --archive or --url, not both');
  const sha256 = optString(args, 'sha256');
  if (sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(sha256)) throw new UsageError('--sha256 needs 64 hex digits');
  let last = 0;
  let drawn = false;
  const started = performance.now();
  try {
    const dest = await fetchDataset(name as DatasetName, {
      cacheDir,
      ...(url ? { url } : {}),
      ...(archive !== undefined ? { archive: resolve(archive) } : {}),
      ...(sha256 ? { sha256 } : {}),
      force: optFlag(args, 'force'),
      onProgress: (received, total) => {
        const now = performance.now();
        const end = total !== undefined && received >= total;
        if (io.isTTY) {
          if (now - last < 100 && !end) return;
          last = now;
          io.err(`\r\x1b[Kdownloading ${name} ${renderProgress(received, total)}`);
          drawn = true;
        } else if (now - last >= 5000 || end) {
          last = now;
          io.err(`downloading ${name} ${renderProgress(received, total)}\n`);
        }
      },
    });
    if (drawn) io.err('\n');
    drawn = false;
    const ds = await readDataset(dest, { split: 'train' }).catch(() => undefined);
    io.err(`${name} is in ${dest}${ds ? ` (train: ${ds.examples.length} reviews)` : ''} after ${((performance.now() - started) / 1000).toFixed(1)}s\n`);
    io.out(`${dest}\n`);
    return EXIT_OK;
  } finally {
    if (drawn) io.err('\n');
  }
}

/**
 * `rnnc data fetch imdb [--cache DIR] [--url URL | --archive FILE] [--sha256 HEX] [--force]`:
 * download (or take a local copy of), verify and unpack a public dataset, printing its folder. `rnnc data demo [-o FILE]`: the embedded demo
 * corpus as TSV.
 */
export async function runData(io: Io, args: ParsedArgs): Promise<number> {
  const [sub, name, ...rest] = args.positionals;
  if (sub === 'fetch') {
    if (rest.length > 0) throw new UsageError(`too many arguments: ${rest.join(' ')}`);
    return await fetchCommand(io, args, name);
  }
  if (sub === 'demo') {
    if (name !== undefined) throw new UsageError(`too many arguments: ${[name, ...rest].join(' ')}`);
    const tsv = demoCorpusTsv();
    const out = optString(args, 'out');
    if (out) {
      writeOutputFile(out, tsv, join(out, 'demo.tsv'));
      io.err(`wrote ${out}: ${DEMO_SIZE} examples (seed ${DEMO_SEED})\n`);
    } else {
      io.out(tsv);
    }
    return EXIT_OK;
  }
  throw new UsageError(sub === undefined ? 'missing a subcommand: fetch or demo' : `unknown subcommand ${JSON.stringify(sub)} (fetch or demo)`);
}
