import { describe, expect, it } from 'vitest';
import { RnnParser } from '../../src/syntax/parser.js';
import { createLexer } from '../../src/syntax/tokens.js';

// The shared lexer and parser skip Chevrotain's definition checks for start-up speed; here they run.
describe('grammar definition', () => {
  it('has no lexer definition errors', () => {
    expect(createLexer(true).lexerDefinitionErrors).toEqual([]);
  });

  it('has no parser definition errors (ambiguity, left recursion, …)', () => {
    expect(() => new RnnParser({ validate: true })).not.toThrow();
  });
});
