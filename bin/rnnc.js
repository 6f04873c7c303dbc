#!/usr/bin/env node
// The rnnc command. Kept tiny: the CLI proper is compiled TypeScript in dist/.
import { main } from '../dist/cli-bundle/main.js';

// Bad input never gets here (it is a diagnostic). A bug does; say so in one short block instead
// of Node's default report, which can quote a whole minified line of the wasm backend.
const internal = (err) => {
  process.stderr.write(`rnnc: internal error: ${err && err.stack ? err.stack : String(err)}\n`);
  process.exitCode = 70;
};
process.on('uncaughtException', (err) => {
  internal(err);
  process.exit(70);
});

// A reader that stops early (`rnnc predict DIR < texts | head -2`) closes the pipe: that is not
// an error of rnnc's, so it stops quietly, with exit code 0, as ripgrep and friends do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err && err.code === 'EPIPE') process.exit(0);
    internal(err);
    process.exit(70);
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  internal,
);
