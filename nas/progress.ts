// Progress of long phases: a bar redrawn in place on a terminal (steps, loss, accuracy,
// images/s, ETA), plain periodic lines otherwise (logs, CI).
/** What a training phase reports with each step; other work reports counts alone. */
export interface StepStats { loss: number; top1: number; images: number }

export interface PhaseBar {
  update(done: number, s?: StepStats): void;
  done(): void;
}

export interface StepReporter {
  line(text: string): void;
  /** A phase of `total` steps from `start`; labels 'epoch E ...' belong to epoch E of the run. */
  phase(label: string, total: number, start: number): PhaseBar;
  /** The run's length, so that progress can show the whole run as well as the phase. */
  run?(epochs: number): void;
}

const clock = (s: number) => (Number.isFinite(s) ? `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}` : '--:--');

/**
 * The whole run's place and remaining time: epochs are timed as they start, and the remaining time
 * is the mean finished epoch's (or, in the first, the current one's projected) times the epochs left.
 */
class RunClock {
  private epochs = 0;
  private readonly starts = new Map<number, number>();
  setEpochs(n: number) { this.epochs = n; }
  /** ' | run epoch e+1/N ETA m:ss' for a phase of epoch e whose own ETA is `phaseLeft` seconds, or ''. */
  text(label: string, phaseLeft: number): string {
    const m = /^epoch (\d+)\b/.exec(label);
    if (!m || !this.epochs) return '';
    const e = Number(m[1]), now = Date.now();
    if (!this.starts.has(e)) this.starts.set(e, now);
    const done = [...this.starts.keys()].filter((k) => k < e && this.starts.has(k + 1)).map((k) => this.starts.get(k + 1)! - this.starts.get(k)!);
    const inEpoch = (now - this.starts.get(e)!) / 1000;
    const perEpoch = done.length ? done.reduce((a, b) => a + b, 0) / done.length / 1000 : inEpoch + phaseLeft;
    const left = Math.max(perEpoch - inEpoch, phaseLeft) + perEpoch * (this.epochs - e - 1);
    return ` | run: epoch ${e + 1}/${this.epochs} ETA ${clock(left)}`;
  }
}

/** Writes to a stream: a bar on a TTY, a line every `everyMs` otherwise. */
export function streamReporter(out: NodeJS.WriteStream = process.stderr, everyMs = 10_000): StepReporter {
  const tty = out.isTTY === true || (out === process.stderr && process.env.DENSENAS_STDERR_TTY === '1');
  const run = new RunClock();
  return {
    line: (text) => out.write(`${text}\n`),
    run: (epochs) => run.setEpochs(epochs),
    phase(label, total, start) {
      const t0 = Date.now();
      let images = 0, last = 0, text = '';
      const render = (done: number, s?: StepStats) => {
        const secs = (Date.now() - t0) / 1000, rate = (done - start) / Math.max(secs, 1e-9);
        const width = 24, filled = Math.round((width * done) / Math.max(total, 1));
        const bar = tty ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` : '';
        const stats = s ? ` loss ${s.loss.toFixed(4)} top1 ${s.top1.toFixed(2)} ${Math.round(images / Math.max(secs, 1e-9))} img/s` : '';
        const left = (total - done) / rate;
        text = `${label} ${bar}${done}/${total}${stats} ETA ${clock(left)}${run.text(label, Number.isFinite(left) ? left : 0)}`;
        out.write(tty ? `\r${text}\x1b[K` : `${text}\n`);
      };
      return {
        update(done, s) {
          images += s?.images ?? 0;
          const now = Date.now();
          if (now - last >= (tty ? 200 : everyMs) || done === total) { last = now; render(done, s); }
        },
        done() { if (tty && text) out.write('\n'); },
      };
    },
  };
}

/** The command-line programs' reporter: standard error, whole-run progress. */
export const runReporter = (): StepReporter => streamReporter();

/** Reports nothing (tests, library use). */
export const silentReporter: StepReporter = { line() {}, phase: () => ({ update() {}, done() {} }) };
