import type { TrainEvent } from '../train/events.js';
import type { Io } from './io.js';
import { runtimeLines } from './runtime.js';
import { fitLine, paint } from './terminal.js';

/** `42s`, `3m05s`, `1h02m`: durations in progress lines and summaries. */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/**
 * Renders training events: on a terminal, a progress bar redrawn in place (epoch, step, loss,
 * accuracy, ETA); otherwise, or with `--quiet`, plain lines — one per epoch, plus (not quiet)
 * a step line every 10 seconds so a long epoch in a log still shows it is alive.
 */
export class ProgressPrinter {
  private lastDraw = 0;
  private lastPlain = 0;
  private drawn = false;

  constructor(
    private readonly io: Io,
    private readonly mode: 'bar' | 'plain' | 'quiet',
    private readonly prefix = '',
  ) {}

  /** Clears a drawn bar before other output. */
  clear(): void {
    if (this.drawn) this.io.err('\r\x1b[K');
    this.drawn = false;
  }

  line(s: string): void {
    this.clear();
    this.io.err(`${this.prefix}${s}\n`);
  }

  event(e: TrainEvent): void {
    switch (e.type) {
      case 'backend':
        for (const l of runtimeLines(e)) this.line(l);
        break;
      case 'data':
        this.line(
          `data: ${e.train} training, ${e.val} validation examples; labels ${e.labels.map((l) => JSON.stringify(l)).join(', ')}; ` +
            `vocabulary ${e.vocabSize} ids (${e.distinctWords} distinct words in training)`,
        );
        break;
      case 'embedding':
        this.line(
          `embedding: ${e.report.source === 'vectors' ? 'vectors' : 'model'} ${e.report.path}: ${e.report.coverage}` +
            `${e.report.found < e.report.total ? `; the rest: ${e.report.source === 'model' ? 'random (kept initialisation)' : `oov ${e.report.oov}`}` : ''}` +
            `${e.report.frozen ? '; frozen' : ''}`,
        );
        break;
      case 'resume':
        this.line(`resuming at epoch ${e.epoch}${e.step > 0 ? `, step ${e.step + 1}/${e.steps}` : ''}`);
        break;
      case 'epoch-start':
        this.lastPlain = performance.now();
        break;
      case 'step':
        this.step(e);
        break;
      case 'epoch-end': {
        const r = e.record;
        const val = r.val_loss !== undefined ? `  val_loss ${r.val_loss.toFixed(4)}  val_acc ${r.val_accuracy!.toFixed(4)}` : '';
        this.line(`epoch ${r.epoch}/${e.epochs}  loss ${r.loss.toFixed(4)}  acc ${r.accuracy.toFixed(4)}${val}  ${duration(r.seconds)}${e.best && r.val_loss !== undefined ? '  (best)' : ''}`);
        break;
      }
      case 'early-stop':
        this.line(`early stopping after epoch ${e.epoch}: no better validation loss since epoch ${e.bestEpoch}`);
        break;
      case 'interrupted':
        this.line(`interrupted in epoch ${e.epoch} after step ${e.step}/${e.steps}`);
        break;
    }
  }

  private step(e: Extract<TrainEvent, { type: 'step' }>): void {
    const now = performance.now();
    const text = `epoch ${e.epoch}/${e.epochs}  step ${e.step}/${e.steps}  loss ${e.loss.toFixed(4)}  acc ${e.accuracy.toFixed(4)}  ETA ${duration(e.etaSeconds)}`;
    if (this.mode === 'bar') {
      if (now - this.lastDraw < 100 && e.step < e.steps) return;
      this.lastDraw = now;
      const width = 20;
      const filled = Math.round((e.step / e.steps) * width);
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
      // Richest first; the first that fits the terminal is drawn, so redrawing never wraps.
      const fitted = fitLine(
        [
          `${this.prefix}${text.replace('  step', `  ${bar}`)}`,
          `${this.prefix}epoch ${e.epoch}/${e.epochs}  ${e.step}/${e.steps}  loss ${e.loss.toFixed(4)}  acc ${e.accuracy.toFixed(4)}  ETA ${duration(e.etaSeconds)}`,
          `${this.prefix}${e.epoch}/${e.epochs} ${e.step}/${e.steps} loss ${e.loss.toFixed(3)} ETA ${duration(e.etaSeconds)}`,
          `${this.prefix}${e.epoch}/${e.epochs} ${e.step}/${e.steps}`,
        ],
        this.io.columns?.(),
      );
      const shown = this.io.color?.err === true ? fitted.replace(bar, `[${paint.green('#'.repeat(filled))}${'.'.repeat(width - filled)}]`) : fitted;
      this.io.err(`\r\x1b[K${shown}`);
      this.drawn = true;
    } else if (this.mode === 'plain' && now - this.lastPlain >= 10_000 && e.step < e.steps) {
      this.lastPlain = now;
      this.line(text);
    }
  }
}

