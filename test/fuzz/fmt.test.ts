import { describe } from 'vitest';
import { fuzzTest } from './bounded.js';

describe('fuzz: fmt is idempotent and keeps comments and meaning', () => {
  fuzzTest('fmt', 300);
});
