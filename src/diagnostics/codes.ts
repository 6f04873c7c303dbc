import type { Diagnostic, Severity, Span } from './types.js';

/**
 * The one table of diagnostic codes, banded by stage: E1xxx syntax, E2xxx IR schema,
 * E3xxx semantic checks (W31xx their warnings), E4xxx files, compile and I/O.
 * A code is never reused for a different problem, and a retired code is not given out again
 * (retired: E3007, E3027, E4005).
 */
export const Codes = {
  // Syntax
  UnexpectedCharacter: { code: 'E1001', severity: 'error', title: 'unexpected character' },
  UnterminatedString: { code: 'E1002', severity: 'error', title: 'unterminated string' },
  UnclosedParen: { code: 'E1003', severity: 'error', title: 'unclosed delimiter' },
  UnexpectedToken: { code: 'E1004', severity: 'error', title: 'unexpected token' },
  UnmatchedParen: { code: 'E1005', severity: 'error', title: 'unmatched closing delimiter' },
  EmptyProgram: { code: 'E1006', severity: 'error', title: 'no model pipeline' },
  SecondPipeline: { code: 'E1007', severity: 'error', title: 'more than one model pipeline' },
  BinaryFile: { code: 'E1008', severity: 'error', title: 'binary file' },
  FileTooLarge: { code: 'E1009', severity: 'error', title: 'file too large' },
  BadNumber: { code: 'E1010', severity: 'error', title: 'malformed number' },
  TooManyErrors: { code: 'E1011', severity: 'error', title: 'too many errors' },
  NestingTooDeep: { code: 'E1012', severity: 'error', title: 'nesting too deep' },
  SecondTrainBlock: { code: 'E1013', severity: 'error', title: 'more than one train block' },
  TooManyWarnings: { code: 'W1014', severity: 'warning', title: 'too many warnings' },

  // IR schema
  InvalidJson: { code: 'E2001', severity: 'error', title: 'invalid JSON' },
  SchemaRequired: { code: 'E2002', severity: 'error', title: 'missing property' },
  SchemaUnknownProperty: { code: 'E2003', severity: 'error', title: 'unknown property' },
  SchemaType: { code: 'E2004', severity: 'error', title: 'wrong type' },
  SchemaEnum: { code: 'E2005', severity: 'error', title: 'value not allowed' },
  SchemaRange: { code: 'E2006', severity: 'error', title: 'value out of range' },
  SchemaOther: { code: 'E2007', severity: 'error', title: 'schema violation' },

  // Semantic checks
  UndefinedName: { code: 'E3001', severity: 'error', title: 'undefined name' },
  UnknownLayer: { code: 'E3002', severity: 'error', title: 'unknown layer' },
  UnknownArgument: { code: 'E3003', severity: 'error', title: 'unknown argument' },
  DuplicateBinding: { code: 'E3004', severity: 'error', title: 'duplicate binding' },
  BindingCycle: { code: 'E3005', severity: 'error', title: 'binding cycle' },
  WrongValueType: { code: 'E3006', severity: 'error', title: 'wrong value type' },
  BadEnumValue: { code: 'E3008', severity: 'error', title: 'value not allowed' },
  MissingArgument: { code: 'E3009', severity: 'error', title: 'missing argument' },
  DuplicateArgument: { code: 'E3010', severity: 'error', title: 'duplicate argument' },
  BadRepeat: { code: 'E3011', severity: 'error', title: 'bad repeat count' },
  EmbedNotFirst: { code: 'E3012', severity: 'error', title: 'embed must come first' },
  EmbedTwice: { code: 'E3013', severity: 'error', title: 'more than one embed' },
  MissingEmbed: { code: 'E3014', severity: 'error', title: 'missing embed' },
  CannotWrap: { code: 'E3015', severity: 'error', title: 'layer cannot be wrapped' },
  ShapeMismatch: { code: 'E3016', severity: 'error', title: 'shape mismatch' },
  ParamBudget: { code: 'E3017', severity: 'error', title: 'parameter budget exceeded' },
  NoPretrainedSource: { code: 'E3018', severity: 'error', title: 'no pretrained source' },
  DimMismatch: { code: 'E3019', severity: 'error', title: 'dimension mismatch' },
  UnknownDim: { code: 'E3020', severity: 'error', title: 'unknown embedding dimension' },
  Unsupported: { code: 'E3021', severity: 'error', title: 'not supported' },
  NotALayer: { code: 'E3022', severity: 'error', title: 'not a layer' },
  ConflictingArguments: { code: 'E3023', severity: 'error', title: 'conflicting arguments' },
  TooManyArguments: { code: 'E3024', severity: 'error', title: 'too many positional arguments' },
  UnknownTrainSetting: { code: 'E3025', severity: 'error', title: 'unknown train setting' },
  BadTrainValue: { code: 'E3026', severity: 'error', title: 'bad train setting' },
  TooManyLayers: { code: 'E3028', severity: 'error', title: 'too many layers' },
  NotTrainable: { code: 'E3029', severity: 'error', title: 'model cannot be trained' },

  FrozenWithoutPretrained: { code: 'W3101', severity: 'warning', title: 'frozen embedding without pretrained source' },
  NoClassifierHead: { code: 'W3102', severity: 'warning', title: 'no classifier head' },
  VectorsNotFound: { code: 'W3103', severity: 'warning', title: 'vectors file not found' },
  UnusedBinding: { code: 'W3104', severity: 'warning', title: 'unused binding' },

  // Files, compile and I/O
  CannotRead: { code: 'E4001', severity: 'error', title: 'cannot read file' },
  CannotWrite: { code: 'E4002', severity: 'error', title: 'cannot write output' },
  BackendUnavailable: { code: 'E4003', severity: 'error', title: 'backend unavailable' },
  BadVectors: { code: 'E4004', severity: 'error', title: 'bad vectors file' },
  BadModelDir: { code: 'E4006', severity: 'error', title: 'bad model directory' },
  BadData: { code: 'E4007', severity: 'error', title: 'bad data' },
  ResumeMismatch: { code: 'E4008', severity: 'error', title: 'checkpoint does not match the run' },
  DownloadFailed: { code: 'E4009', severity: 'error', title: 'download failed' },
  BadArchive: { code: 'E4010', severity: 'error', title: 'bad or corrupt archive' },
  ResourceLimit: { code: 'E4011', severity: 'error', title: 'over a resource limit' },
  ChartsUnavailable: { code: 'E4012', severity: 'error', title: 'chart libraries unavailable' },
  PngConverter: { code: 'E4013', severity: 'error', title: 'cannot convert to PNG' },
  CannotExport: { code: 'E4014', severity: 'error', title: 'layer cannot be exported' },
  CannotListen: { code: 'E4015', severity: 'error', title: 'cannot listen' },
} as const satisfies Record<string, { code: string; severity: Severity; title: string }>;

export type CodeName = keyof typeof Codes;

/** Builds a diagnostic from the code table; severity comes from the code. */
export function diag(
  name: CodeName,
  span: Span,
  message: string,
  extra: Partial<Omit<Diagnostic, 'severity' | 'code' | 'message' | 'span'>> = {},
): Diagnostic {
  const c = Codes[name];
  return { severity: c.severity, code: c.code, message, span, ...extra };
}
