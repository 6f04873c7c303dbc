import { describe } from 'vitest';
import { fuzzTest } from './bounded.js';

describe('fuzz: editing sessions through the language server', () => {
  fuzzTest('lsp', 300);
});
