// Preloaded with `node --import` by the draw CLI tests: makes @resvg/resvg-js impossible to load,
// as on a platform where the optional dependency did not install, so the fallback converter and
// the "no converter" diagnostic can be tested on a machine that has it.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (specifier === '@resvg/resvg-js') throw new Error('RESVG_BLOCKED: ' + specifier);
  return next(specifier, context);
}`),
);
