// A writer for the store's kill tests: publishes generations of a three-file model folder in a
// loop (the same number in every file, so a reader can tell a mixed set), until it is killed.
import { publish } from '../../dist/artifacts/store.js';

const [dir, start, finishedEvery] = process.argv.slice(2);
let gen = Number(start);
const big = Buffer.alloc(1 << 20);
for (;;) {
  gen++;
  big.writeUInt32LE(gen, 0);
  await publish(
    dir,
    { 'a.txt': String(gen), 'b.bin': big, 'c.json': JSON.stringify({ gen }) },
    { finished: gen % Number(finishedEvery) === 0 },
  );
  process.stdout.write(`${gen}\n`);
}
