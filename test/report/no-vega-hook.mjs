// Preloaded with `node --import` by the report tests: any attempt to load Vega or Vega-Lite fails
// loudly, which proves a command never loads them (and shows what `rnnc report` says when they
// cannot load).
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (specifier === 'vega' || specifier === 'vega-lite') throw new Error('VEGA_LOADED: ' + specifier);
  return next(specifier, context);
}`),
);
