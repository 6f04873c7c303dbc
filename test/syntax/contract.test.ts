import { describe, expect, it } from 'vitest';
import { parse } from '../../src/index.js';
import { diagnosticsOf, programOf } from '../helpers.js';

describe('the language contract', () => {
  it('reads a pipeline with comments, free whitespace and newlines', () => {
    const src = '# a model\nembed(32,\n      vocab: 10000)   # trailing comment\n\n  |> lstm(32)\n  |> dense(1)\n';
    const { program } = programOf(src);
    expect(program.layers.map((l) => l.kind)).toEqual(['embedding', 'lstm', 'dense']);
    expect(parse(src).ast.comments.map((c) => c.text)).toEqual(['# a model', '# trailing comment']);
  });

  it('reports the same line and column for CRLF files as for LF files', () => {
    const lf = 'embed(32)\n  |> lsmt(8)\n  |> dense(1)\n';
    const crlf = lf.replace(/\n/g, '\r\n');
    expect(diagnosticsOf(lf)).toEqual(['E3002 2:6-2:10']);
    expect(diagnosticsOf(crlf)).toEqual(['E3002 2:6-2:10']);
  });

  it('expands xN into N layers, each with its own weights', () => {
    const { program, analysis } = programOf('embed(8, vocab: 100) |> lstm(4) x3 |> dense(1)');
    expect(program.layers.map((l) => l.name)).toEqual(['embedding', 'lstm', 'lstm_1', 'lstm_2', 'dense']);
    // Layer 2 and 3 read 4-wide inputs, layer 1 reads 8: 4(4(8+4)+4)=208, 4(4(4+4)+4)=144.
    expect(analysis.layers.map((l) => l.params)).toEqual([800, 208, 144, 144, 5]);
  });

  it('repeats a parenthesised pipeline as a unit', () => {
    const { program } = programOf('embed(8) |> (gru(4) |> dropout(0.2)) x2 |> dense(1)');
    expect(program.layers.map((l) => l.kind)).toEqual(['embedding', 'gru', 'dropout', 'gru', 'dropout', 'dense']);
  });

  it('binds pipelines, calls and values with let, forward references included', () => {
    const src = [
      'embed(dim, vocab: 5000) |> encoder |> head',
      'let encoder = bi(lstm(units)) x2',
      'let head = dense(1)',
      'let units = 16',
      'let dim = 24',
    ].join('\n');
    const { program, analysis } = programOf(src);
    expect(program.layers.map((l) => l.kind)).toEqual(['embedding', 'bidirectional', 'bidirectional', 'dense']);
    expect(analysis.layers[0]!.outputShape).toEqual([null, null, 24]);
    expect(analysis.layers[2]!.outputShape).toEqual([null, 32]);
  });

  it('accepts positional values, name: value pairs and bare flags', () => {
    const { program } = programOf(
      'let pretrained = vectors("v.txt", format: glove, oov: zeros)\nembed(50, pretrained, frozen, mask: false, vocab: 2000) |> lstm(8, dropout: 0.25, recurrent_dropout: 1e-1, activation: relu) |> dense(3, softmax)',
      { resolveDim: () => 50 },
    );
    expect(program.layers[0]).toEqual({
      kind: 'embedding',
      name: 'embedding',
      input_dim: 2000,
      output_dim: 50,
      mask_zero: false,
      trainable: false,
      pretrained: { source: 'vectors', path: 'v.txt', format: 'glove', oov: 'zeros' },
    });
    expect(program.layers[1]).toMatchObject({ kind: 'lstm', units: 8, dropout: 0.25, recurrent_dropout: 0.1, activation: 'relu', recurrent_activation: 'sigmoid' });
    expect(program.layers[2]).toMatchObject({ kind: 'dense', units: 3, activation: 'softmax' });
  });

  it('compiles the design-card line verbatim once a pretrained source is given', () => {
    const line = 'embed(pretrained, frozen) |> bi(lstm(64)) x2 |> dense(1)';
    expect(diagnosticsOf(line)).toEqual(['E3018 1:7-1:17']);
    const { program, analysis } = programOf(line, { pretrained: { source: 'vectors', path: 'glove.txt' }, resolveDim: () => 50 });
    expect(program.layers[0]).toMatchObject({ output_dim: 50, input_dim: 10000, trainable: false, pretrained: { path: 'glove.txt' } });
    // 10000·50 frozen; bi 2·4(64(50+64)+64) = 58,880; bi 2·4(64(128+64)+64) = 98,816; dense 129.
    expect(analysis.nonTrainableParams).toBe(500_000);
    expect(analysis.trainableParams).toBe(58_880 + 98_816 + 129);
  });

  it('takes `pretrained: vectors("FILE")` and the dimension from the vectors', () => {
    const { program } = programOf('embed(pretrained: vectors("g.txt")) |> gru(8) |> dense(1)', { resolveDim: () => 7 });
    expect(program.layers[0]).toMatchObject({ output_dim: 7, pretrained: { source: 'vectors', path: 'g.txt' } });
  });

  it('takes embed weights from another model with from:', () => {
    const { program } = programOf('embed(from: "models/pre", frozen) |> lstm(8) |> dense(1)', { resolveDim: () => 32 });
    expect(program.layers[0]).toMatchObject({ output_dim: 32, trainable: false, pretrained: { source: 'model', path: 'models/pre' } });
  });

  it('reads numbers in every written form', () => {
    const { program } = programOf('embed(8) |> rnn(4, dropout: .5, recurrent_dropout: 2.5e-1) |> dropout(0) |> dense(1)');
    expect(program.layers[1]).toMatchObject({ dropout: 0.5, recurrent_dropout: 0.25 });
    expect(program.layers[2]).toMatchObject({ rate: 0 });
  });

  it('falls back to --vocab, then train { vocab }, then 10000', () => {
    expect(programOf('embed(8) |> lstm(4) |> dense(1)').program.layers[0]).toMatchObject({ input_dim: 10000 });
    expect(programOf('embed(8) |> lstm(4) |> dense(1)\ntrain { vocab: 300 }').program.layers[0]).toMatchObject({ input_dim: 300 });
    expect(programOf('embed(8) |> lstm(4) |> dense(1)\ntrain { vocab: 300 }', { vocab: 700 }).program.layers[0]).toMatchObject({ input_dim: 700 });
    expect(programOf('embed(8, vocab: 50) |> lstm(4) |> dense(1)', { vocab: 700 }).program.layers[0]).toMatchObject({ input_dim: 50 });
  });

  it('makes a last dense without activation the classifier head: sigmoid for 1 unit, softmax for more', () => {
    expect(programOf('embed(8) |> lstm(4) |> dense(1)').program.layers[2]).toMatchObject({ activation: 'sigmoid' });
    expect(programOf('embed(8) |> lstm(4) |> dense(5)').program.layers[2]).toMatchObject({ activation: 'softmax' });
    const hidden = programOf('embed(8) |> lstm(4) |> dense(16) |> dense(1)').program.layers;
    expect(hidden[2]).toMatchObject({ activation: 'linear' });
  });

  it('applies the stacking rule: every recurrent layer under another returns sequences', () => {
    const { analysis } = programOf('embed(8) |> rnn(4) |> dense(6) |> bi(gru(5), merge: sum) |> lstm(3) |> dense(1)');
    expect(analysis.layers.map((l) => l.returnSequences)).toEqual([false, true, false, true, false, false]);
    expect(analysis.layers.map((l) => l.outputShape)).toEqual([
      [null, null, 8],
      [null, null, 4],
      [null, null, 6],
      [null, null, 5],
      [null, 3],
      [null, 1],
    ]);
  });

  it('parses a train block', () => {
    const { program } = programOf('embed(8) |> lstm(4) |> dense(1)\ntrain {\n  epochs: 3\n  batch: 16, lr: 1e-3\n  optimizer: rmsprop\n  lowercase: false\n  val_split: 0.2\n}');
    expect(program.train).toEqual({ epochs: 3, batch: 16, lr: 0.001, optimizer: 'rmsprop', lowercase: false, val_split: 0.2 });
  });
});
