import { SemanticTokensBuilder, type SemanticTokens, type SemanticTokensLegend } from 'vscode-languageserver';
import type { Analyzed } from './document.js';
import type { Occurrence } from './occurrences.js';

const TYPES = ['keyword', 'function', 'variable', 'parameter', 'property', 'enumMember', 'number', 'string', 'comment', 'operator'] as const;
const MODIFIERS = ['declaration', 'readonly', 'defaultLibrary'] as const;

export const SEMANTIC_LEGEND: SemanticTokensLegend = { tokenTypes: [...TYPES], tokenModifiers: [...MODIFIERS] };

type TokenType = (typeof TYPES)[number];
type Modifier = (typeof MODIFIERS)[number];

function bits(mods: Modifier[]): number {
  return mods.reduce((n, m) => n | (1 << MODIFIERS.indexOf(m)), 0);
}

/** How an identifier is shown, from what the lowering resolved it to. */
function classify(o: Occurrence): [TokenType, Modifier[]] | undefined {
  switch (o.kind) {
    case 'callee':
      return ['function', o.spec ? ['defaultLibrary'] : []];
    case 'letName':
      return ['variable', ['declaration', 'readonly']];
    case 'name':
      return o.binding ? ['variable', ['readonly']] : ['enumMember', []];
    case 'argName':
      return ['parameter', []];
    case 'trainKey':
      return ['property', []];
    default:
      return undefined;
  }
}

/**
 * Semantic tokens for the whole document: keywords, comments, numbers, strings and operators
 * from the lexer; identifiers by role (layer, binding, argument, setting, enum value or flag).
 * Words in code too broken to parse keep only their lexical colour (none).
 */
export function semanticTokens(doc: Analyzed): SemanticTokens {
  const roles = new Map<number, [TokenType, Modifier[]]>();
  for (const o of doc.occurrences()) {
    const c = classify(o);
    if (c) roles.set(o.span.start, c);
  }
  const builder = new SemanticTokensBuilder();
  for (const t of doc.tokens()) {
    let role: [TokenType, Modifier[]] | undefined;
    switch (t.tokenType.name) {
      case 'Let':
      case 'Train':
        role = ['keyword', []];
        break;
      case 'Comment':
        role = ['comment', []];
        break;
      case 'NumberLiteral':
        role = ['number', []];
        break;
      case 'StringLiteral':
      case 'UnterminatedString':
        role = ['string', []];
        break;
      case 'Pipe':
      case 'Repeat':
        role = ['operator', []];
        break;
      case 'Identifier':
        role = roles.get(t.startOffset);
        break;
    }
    if (!role) continue;
    const p = doc.lines.lspPosition(t.startOffset);
    builder.push(p.line, p.character, t.image.length, TYPES.indexOf(role[0]), bits(role[1]));
  }
  return builder.build();
}
