import { describe } from 'vitest';
import { fuzzTest } from './bounded.js';

describe('fuzz: the IR reader on any JSON', () => {
  fuzzTest('json-random', 200);
  fuzzTest('json-mutate', 300);
});
