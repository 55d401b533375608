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
  phase(label: string, total: number, start: number): PhaseBar;
}

const clock = (s: number) => (Number.isFinite(s) ? `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}` : '--:--');

/** Writes to a stream: a bar on a TTY, a line every `everyMs` otherwise. */
export function streamReporter(out: NodeJS.WriteStream = process.stderr, everyMs = 10_000): StepReporter {
  const tty = out.isTTY === true;
  return {
    line: (text) => out.write(`${text}\n`),
    phase(label, total, start) {
      const t0 = Date.now();
      let images = 0, last = 0, text = '';
      const render = (done: number, s?: StepStats) => {
        const secs = (Date.now() - t0) / 1000, rate = (done - start) / Math.max(secs, 1e-9);
        const width = 24, filled = Math.round((width * done) / Math.max(total, 1));
        const bar = tty ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` : '';
        const stats = s ? ` loss ${s.loss.toFixed(4)} top1 ${s.top1.toFixed(2)} ${Math.round(images / Math.max(secs, 1e-9))} img/s` : '';
        text = `${label} ${bar}${done}/${total}${stats} ETA ${clock((total - done) / rate)}`;
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

/** Reports nothing (tests, library use). */
export const silentReporter: StepReporter = { line() {}, phase: () => ({ update() {}, done() {} }) };
