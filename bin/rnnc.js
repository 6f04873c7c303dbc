#!/usr/bin/env node
// The rnnc command. Kept tiny: the CLI proper is compiled TypeScript in dist/.
import { main } from '../dist/cli-bundle/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    // A bug in rnnc itself, never bad input (that is a diagnostic): say so plainly.
    process.stderr.write(`rnnc: internal error: ${err && err.stack ? err.stack : String(err)}\n`);
    process.exitCode = 70;
  },
);
