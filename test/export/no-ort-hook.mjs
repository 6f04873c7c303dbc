// Preloaded with `node --import` by the export CLI tests: onnxruntime-node resolves as if it were
// not installed (as on a machine where the optional dependency is absent).
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (specifier === 'onnxruntime-node') {
    const e = new Error("Cannot find package 'onnxruntime-node' imported from " + context.parentURL);
    e.code = 'ERR_MODULE_NOT_FOUND';
    throw e;
  }
  return next(specifier, context);
}`),
);
