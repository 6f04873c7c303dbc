import { describe } from 'vitest';
import { fuzzTest } from './bounded.js';

describe('fuzz: checkText on any text', () => {
  fuzzTest('check-random', 500);
  fuzzTest('check-grammar', 400);
  fuzzTest('check-mutate', 300);
});
