// Small file helpers shared by the data commands: existence checks and a progress line.
import * as fs from 'node:fs';

/** Throws a clear error when a path that the user named does not exist. */
export function mustExist(p: string, what: string): fs.Stats {
  try {
    return fs.statSync(p);
  } catch {
    throw new Error(`${what} ${p} does not exist`);
  }
}

/**
 * Reports long work to stderr: a line every few seconds, or one line redrawn in place on a TTY.
 * Call tick(done) as work advances and end() when it is over.
 */
export class Progress {
  private last = 0;
  private shown = -1;
  private readonly t0 = Date.now();
  private readonly tty = process.stderr.isTTY === true;

  constructor(private readonly label: string, private readonly total: number, private readonly everyMs = 3000) {}

  tick(done: number, force = false): void {
    const now = Date.now();
    if (done === this.shown || (!force && now - this.last < (this.tty ? 200 : this.everyMs))) return;
    this.last = now;
    this.shown = done;
    const s = (now - this.t0) / 1000;
    const line = `${this.label}: ${done}/${this.total} (${Math.round(done / Math.max(s, 1e-3))}/s)`;
    if (this.tty) process.stderr.write(`\r${line}\x1b[K`);
    else process.stderr.write(line + '\n');
  }

  end(done: number): void {
    this.tick(done, true);
    if (this.tty) process.stderr.write('\n');
  }
}
