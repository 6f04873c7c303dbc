// Preloaded with `node --import` by the CLI tests: any attempt to load TensorFlow.js fails loudly,
// which proves a command never loads it.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (specifier.startsWith('@tensorflow/')) throw new Error('TFJS_LOADED: ' + specifier);
  return next(specifier, context);
}`),
);
