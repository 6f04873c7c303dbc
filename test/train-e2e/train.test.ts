import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { embeddingToVec } from '../../src/train/embedding-init.js';
import { ModelFolder } from '../../src/artifacts/model-folder.js';
import { evaluate, loadTrained, predictProbabilities } from '../../src/train/trainer.js';
import { RnncError } from '../../src/diagnostics/error.js';
import { loadVectors } from '../../src/vectors/load.js';
import { Vocab } from '../../src/text/vocab.js';
import { rejection } from '../fixtures.js';
import { demoSlice, historyOf, quickSettings, repo, specIn, tempDir, trainIn, weightsOf } from './helpers.js';

const dir = tempDir('train');
// A small model with dropout in two places, so repeatability covers the random masks too.
const SMALL = 'embed(16, vocab: 300) |> dropout(0.2) |> gru(8, dropout: 0.1) |> dense(1)\n';
const data = demoSlice(600);

describe('seeded runs', () => {
  it('the same seed gives identical weights and metrics; another seed does not', async () => {
    const { program } = specIn(dir, 'small.rnn', SMALL);
    const a = await trainIn(program, dir, data);
    const b = await trainIn(program, dir, data);
    expect(await weightsOf(b.model)).toEqual(await weightsOf(a.model));
    expect(historyOf(b)).toEqual(historyOf(a));
    expect(b.validation).toEqual(a.validation);
    const c = await trainIn(program, dir, data, { settings: quickSettings({ seed: 43 }) });
    expect((await weightsOf(c.model))[0]).not.toEqual((await weightsOf(a.model))[0]);
    for (const r of [a, b, c]) r.model.dispose();
  });
});

describe('checkpoints and --resume', () => {
  it('1 epoch then resume to 2 equals 2 epochs; so does a run stopped mid-epoch and resumed', async () => {
    const { program } = specIn(dir, 'small.rnn', SMALL);
    const whole = await trainIn(program, dir, data, { outDir: join(dir, 'whole') });
    const wholeWeights = await weightsOf(whole.model);

    const split = join(dir, 'split');
    const first = await trainIn(program, dir, data, { outDir: split, settings: quickSettings({ epochs: 1 }) });
    first.model.dispose();
    const state = JSON.parse(readFileSync(join(split, 'checkpoint.json'), 'utf8'));
    expect(state).toMatchObject({ format: 'rnnc-checkpoint', epoch: 1, step: 0, done: true });
    const resumed = await trainIn(program, dir, data, { outDir: split, resume: true });
    expect(await weightsOf(resumed.model)).toEqual(wholeWeights);
    expect(historyOf(resumed)).toEqual(historyOf(whole));
    expect(resumed.validation).toEqual(whole.validation);

    // Ctrl-C after the 5th step of epoch 1: the checkpoint holds the position inside the epoch.
    const stopped = join(dir, 'stopped');
    let steps = 0;
    const events: string[] = [];
    const cut = await trainIn(program, dir, data, {
      outDir: stopped,
      onEvent: (e) => {
        if (e.type === 'step') steps++;
        events.push(e.type);
      },
      shouldStop: () => steps >= 5,
    });
    expect(cut.interrupted).toBe(true);
    expect(events.at(-1)).toBe('interrupted');
    cut.model.dispose();
    expect(JSON.parse(readFileSync(join(stopped, 'checkpoint.json'), 'utf8'))).toMatchObject({ epoch: 0, step: 5, done: false });
    expect(JSON.parse(readFileSync(join(stopped, 'metrics.json'), 'utf8'))).toMatchObject({ complete: false, interrupted: true });
    const continued = await trainIn(program, dir, data, { outDir: stopped, resume: true });
    expect(await weightsOf(continued.model)).toEqual(wholeWeights);
    expect(historyOf(continued)).toEqual(historyOf(whole));

    // A finished run resumed again trains nothing.
    const again = await trainIn(program, dir, data, { outDir: stopped, resume: true });
    expect(again.alreadyDone).toBe(true);
    expect(await weightsOf(again.model)).toEqual(wholeWeights);
    for (const r of [whole, resumed, continued, again]) r.model.dispose();
  });

  it('refuses to resume with other settings, data or model', async () => {
    const { program } = specIn(dir, 'small.rnn', SMALL);
    const out = join(dir, 'refuse');
    (await trainIn(program, dir, data, { outDir: out, settings: quickSettings({ epochs: 1 }) })).model.dispose();
    const e1 = await rejection(trainIn(program, dir, data, { outDir: out, resume: true, settings: quickSettings({ lr: 0.01 }) }), RnncError);
    expect(e1.codeName).toBe('ResumeMismatch');
    expect(e1.message).toBe('cannot change lr when resuming: the checkpoint was trained with lr = 0.001, not 0.01');
    const e2 = await rejection(trainIn(program, dir, demoSlice(500), { outDir: out, resume: true }), RnncError);
    expect(e2.message).toContain('the data differs');
    const other = specIn(dir, 'other.rnn', 'embed(16, vocab: 300) |> gru(4) |> dense(1)\n').program;
    const e3 = await rejection(trainIn(other, dir, data, { outDir: out, resume: true }), RnncError);
    expect(e3.message).toContain("the spec's model differs");
    const e4 = await rejection(trainIn(program, dir, data, { outDir: join(dir, 'nothing-here'), resume: true }), RnncError);
    expect(e4.message).toMatch(/^no checkpoint to resume from: .*nothing-here does not exist$/);
  });

  it('early stopping keeps the best epoch (patience on validation loss)', async () => {
    const { program } = specIn(dir, 'big-lr.rnn', 'embed(16, vocab: 300) |> gru(16) |> dense(1)\n');
    // A learning rate this high overfits 120 examples at once; validation loss soon rises.
    const r = await trainIn(program, dir, demoSlice(160), { settings: quickSettings({ epochs: 12, lr: 0.05, patience: 1, val_split: 0.25 }) });
    expect(r.stoppedEarly).toBe(true);
    const losses = r.history.map((h) => h.val_loss!);
    expect(r.bestEpoch).toBe(losses.indexOf(Math.min(...losses)) + 1);
    expect(r.history.length).toBe(r.bestEpoch + 1);
    expect(r.validation!.loss).toBe(Math.min(...losses));
    r.model.dispose();
  });
});

describe('saved models', () => {
  it('reloaded, predict and evaluate give exactly the in-process numbers', async () => {
    const { program } = specIn(dir, 'small.rnn', SMALL);
    const out = join(dir, 'saved');
    const r = await trainIn(program, dir, data, { outDir: out });
    const heldOut = demoSlice(200, 99);
    const texts = [...heldOut.map((e) => e.text), 'the', '', 'a word never seen in training'];
    const inProcess = await predictProbabilities(r.tf, r.model, r.vocab, texts);
    const before = await evaluate(r.tf, r.model, r.vocab, heldOut, r.head);
    const loaded = await loadTrained(out, { backend: 'wasm' });
    expect(Array.from(await predictProbabilities(loaded.tf, loaded.model, loaded.vocab, texts))).toEqual(Array.from(inProcess));
    expect(await evaluate(loaded.tf, loaded.model, loaded.vocab, heldOut, loaded.head)).toEqual(before);
    // One text alone gives the same probability as inside a batch cut to a longer text.
    expect(Array.from(await predictProbabilities(loaded.tf, loaded.model, loaded.vocab, [texts[3]!]))).toEqual([inProcess[3]]);
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics).toMatchObject({ format: 'rnnc-metrics', complete: true, best_epoch: r.bestEpoch, backend: 'wasm', settings: { seed: 42, epochs: 2 } });
    expect(metrics.final.validation.accuracy).toBe(r.validation!.accuracy);
    expect(metrics.history).toHaveLength(2);
    expect(Vocab.fromJSON(JSON.parse(readFileSync(join(out, 'vocab.json'), 'utf8'))).words).toEqual(r.vocab.words);
    expect(JSON.parse(readFileSync(join(out, 'spec.json'), 'utf8')).layers).toEqual(program.layers);
    r.model.dispose();
    loaded.model.dispose();
  });
});

describe('batch shapes', () => {
  it('trains on one-word texts (tfjs cannot backpropagate through one time step)', async () => {
    const words = Array.from({ length: 40 }, (_, i) => ({ text: i % 2 ? 'great' : 'awful', label: String(i % 2) }));
    const { program } = specIn(dir, 'oneword.rnn', 'embed(8, vocab: 50) |> lstm(4) |> dense(1)');
    const r = await trainIn(program, dir, words, { settings: quickSettings({ epochs: 1, val_split: 0 }) });
    expect(r.history).toHaveLength(1);
    expect(Number.isFinite(r.history[0]!.loss)).toBe(true);
    r.model.dispose();
  });

  it('an unmasked model reads every text at full length, whatever its batch companions', async () => {
    const { program } = specIn(dir, 'unmasked.rnn', 'embed(8, vocab: 200, mask: false) |> gru(4) |> dense(1)');
    const r = await trainIn(program, dir, demoSlice(64), { settings: quickSettings({ epochs: 1 }) });
    const texts = ['great', demoSlice(64)[0]!.text];
    const together = await predictProbabilities(r.tf, r.model, r.vocab, texts);
    const alone = await predictProbabilities(r.tf, r.model, r.vocab, [texts[0]!]);
    expect(alone[0]).toBe(together[0]);
    r.model.dispose();
  });
});

describe('labels and heads', () => {
  it('three classes train a softmax head (sparse and one-hot losses) with macro metrics', async () => {
    const three = demoSlice(300).map((e, i) => ({ ...e, label: i % 5 === 0 ? 'neutral' : e.label === '1' ? 'pos' : 'neg' }));
    const { program } = specIn(dir, 'three.rnn', 'embed(8, vocab: 300) |> gru(4) |> dense(3)\n');
    for (const loss of ['auto', 'categorical_crossentropy'] as const) {
      const r = await trainIn(program, dir, three, { settings: quickSettings({ epochs: 1, loss }) });
      expect(r.head).toBe('softmax');
      expect(r.labels).toEqual(['neg', 'neutral', 'pos']);
      expect(r.validation!.averaging).toBe('macro');
      expect(r.validation!.confusion).toHaveLength(3);
      r.model.dispose();
    }
  });

  it('data whose labels do not fit the head is refused before training', async () => {
    const three = demoSlice(100).map((e, i) => ({ ...e, label: String(i % 3) }));
    const { program } = specIn(dir, 'small.rnn', SMALL);
    const e = await rejection(trainIn(program, dir, three), RnncError);
    expect(e.message).toBe('the data has 3 labels: "0", "1", "2", but the model\'s head `dense(1)` is binary (two labels)');
    expect(e.codeName).toBe('BadData');
    const one = demoSlice(50).map((x) => ({ ...x, label: 'pos' }));
    expect((await rejection(trainIn(program, dir, one), RnncError)).message).toBe('the training data has only one label: "pos"; a classifier needs at least two');
    const { program: softmax } = specIn(dir, 'four.rnn', 'embed(8, vocab: 300) |> gru(4) |> dense(4)\n');
    expect((await rejection(trainIn(softmax, dir, three), RnncError)).message).toContain("but the model's head `dense(4)` has 4 classes");
    const bce = await rejection(trainIn(softmax, dir, three, { settings: quickSettings({ loss: 'binary_crossentropy' }) }), RnncError);
    expect(bce.message).toBe('the data has 3 labels: "0", "1", "2", but the model\'s head `dense(4)` has 4 classes');
  });
});

describe('pretrained embeddings', () => {
  const VEC = join(repo, 'specs/vectors/demo.16d.vec');

  it('fills rows from a vectors file, reports coverage, and frozen rows stay put', async () => {
    const { program } = specIn(dir, 'vec.rnn', `embed(pretrained: vectors("${VEC}"), frozen, vocab: 300) |> gru(8) |> dense(1)\n`);
    const events: string[] = [];
    const r = await trainIn(program, dir, data, {
      settings: quickSettings({ epochs: 1 }),
      onEvent: (e) => {
        if (e.type === 'embedding') events.push(e.report.coverage);
      },
    });
    expect(r.embedding).toMatchObject({ source: 'vectors', format: 'fasttext', frozen: true, oov: 'random' });
    expect(events).toEqual([r.embedding!.coverage]);
    expect(r.embedding!.coverage).toMatch(/^found \d+ of \d+ words \(\d+\.\d%\)$/);
    expect(r.embedding!.found / r.embedding!.total).toBeGreaterThan(0.95);
    // After training, each found word's row is still the file's vector (frozen).
    // (model.weights lists trainable weights first, so the frozen embedding is read from its layer.)
    const file = await loadVectors(VEC, r.vocab, { oov: 'zeros' });
    const rows = Array.from(await r.model.layers[0]!.getWeights()[0]!.data());
    for (const w of ['wonderful', 'dull', 'not']) {
      const id = r.vocab.idOf(w);
      expect(id).toBeGreaterThan(1);
      expect(rows.slice(id * 16, id * 16 + 16)).toEqual(Array.from(file.matrix.subarray(id * 16, id * 16 + 16)));
    }
    expect(r.params.nonTrainable).toBe(300 * 16);
    r.model.dispose();
  });

  it('takes the embedding of another model, aligned by word across different vocabularies', async () => {
    // Source: a model whose vocabulary comes from other sentences and is cut at 60 ids.
    const { program: srcProgram } = specIn(dir, 'src.rnn', 'embed(16, vocab: 60) |> gru(8) |> dense(1)\n');
    const srcDir = join(dir, 'source-model');
    (await trainIn(srcProgram, dir, demoSlice(400, 7), { outDir: srcDir, settings: quickSettings({ epochs: 1 }) })).model.dispose();
    const source = await (await ModelFolder.open(srcDir)).embedding();

    const { program } = specIn(dir, 'transfer.rnn', 'embed(from: "source-model", frozen, vocab: 300) |> gru(8) |> dense(1)\n');
    expect(program.layers[0]).toMatchObject({ output_dim: 16, trainable: false });
    const r = await trainIn(program, dir, data, { settings: quickSettings({ epochs: 1 }) });
    expect(r.embedding).toMatchObject({ source: 'model', frozen: true });
    const target = Array.from(await r.model.layers[0]!.getWeights()[0]!.data());
    let shared = 0;
    let moved = 0;
    r.vocab.words.forEach((w, id) => {
      const sid = source.vocab.words.indexOf(w);
      if (sid < 0) return;
      shared++;
      if (sid !== id) moved++;
      expect(target.slice(id * 16, id * 16 + 16), w).toEqual(Array.from(source.matrix.subarray(sid * 16, sid * 16 + 16)));
    });
    expect(shared).toBe(r.embedding!.found + 2); // + <pad> and <unk>
    expect(shared).toBeGreaterThan(40);
    expect(moved).toBeGreaterThan(10); // the ids really differ: alignment is by word
    expect(r.embedding!.found).toBeLessThan(r.embedding!.total);
    r.model.dispose();

    // The same embedding exported as a .vec file reads back row for row.
    const vec = embeddingToVec(source);
    expect(vec.split('\n')[0]).toBe(`${source.vocab.size - 2} 16`);
  });

  it('a missing source model is a clear error', async () => {
    const { program } = specIn(dir, 'gone.rnn', 'embed(16, from: "no-such-model", vocab: 300) |> gru(8) |> dense(1)\n');
    const e = await rejection(trainIn(program, dir, data), RnncError);
    expect(e.message).toMatch(/^no model folder .*no-such-model$/);
  });
});
