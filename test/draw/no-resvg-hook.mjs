// Preloaded with `node --import` by the draw CLI tests: @resvg/resvg-js cannot be loaded, as on a
// machine where the optional dependency did not install (Node's own "not found" error), or, with
// RNNC_TEST_RESVG_BROKEN=1, where it installed without a binary for the platform. So the fallback
// converter and the "no converter" diagnostic can be tested on a machine that has it.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (specifier !== '@resvg/resvg-js') return next(specifier, context);
  if (process.env.RNNC_TEST_RESVG_BROKEN === '1') throw new Error('Cannot find native binding: no @resvg/resvg-js binary for this platform');
  throw Object.assign(new Error("Cannot find package '@resvg/resvg-js' imported from the test"), { code: 'ERR_MODULE_NOT_FOUND' });
}`),
);
