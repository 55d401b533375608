// Progress of a whole run: beside each phase's own count and ETA, the reporter shows the run's
// epoch of N and the time left for all of it, projected from the epochs timed so far.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { streamReporter } from '../../nas/progress.js';

/** A stream that collects what is written (not a TTY: one line per report). */
function sink() {
  const lines: string[] = [];
  return { lines, stream: { isTTY: false, write: (s: string) => { lines.push(...s.split('\n').filter(Boolean)); return true; } } as unknown as NodeJS.WriteStream };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('phase lines of a run say which epoch of how many, and the ETA of the whole run', async () => {
  const { lines, stream } = sink();
  const r = streamReporter(stream, 0);
  r.run!(3);
  for (let e = 0; e < 2; e++) {
    const bar = r.phase(`epoch ${e} weight`, 4, 0);
    for (let i = 1; i <= 4; i++) { await sleep(30); bar.update(i); }
    bar.done();
  }
  const ends = lines.filter((l) => / 4\/4 /.test(l));
  assert.match(ends[0], /^epoch 0 weight 4\/4 ETA 0:00 \| run: epoch 1\/3 ETA 0:0\d$/);
  assert.match(ends[1], /^epoch 1 weight 4\/4 ETA 0:00 \| run: epoch 2\/3 ETA 0:0\d$/);
  // One epoch of about 0.12 s is left: the whole-run ETA is under a second, never negative.
  const left = /ETA 0:(\d\d)$/.exec(ends[1])!;
  assert.ok(Number(left[1]) <= 1, ends[1]);
});

test('a phase outside epochs (a table build) shows no run progress', () => {
  const { lines, stream } = sink();
  const r = streamReporter(stream, 0);
  r.run!(5);
  const bar = r.phase('lut table.json', 2, 0);
  bar.update(1); bar.update(2);
  assert.ok(lines.every((l) => !l.includes('run:')), lines.join('\n'));
});

test.run();
