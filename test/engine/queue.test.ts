// The readback's estimate of GPU time per dispatch: it learns a steady machine's time, and after
// a stall (a stopped process: one readback that took a minute) it comes back within a few
// readbacks instead of sleeping most of the stall again at each one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { nextMsPerDispatch } from '../../engine/queue.js';

/** Readbacks of `pending` dispatches that take `workMs` of GPU time, as CommandQueue.read sleeps and waits. */
function simulate(estimate: number, pending: number, workMs: number, readbacks: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < readbacks; i++) {
    const expect = pending * estimate, sleep = expect > 2 ? 0.8 * expect : 0;
    const waited = Math.max(0, workMs - sleep);   // the work runs during the sleep
    estimate = nextMsPerDispatch(estimate, pending, sleep, waited);
    out.push(estimate);
  }
  return out;
}

test('a steady machine: the estimate converges to the real time per dispatch', () => {
  for (const [start, work] of [[0, 50], [0.01, 300], [5, 40]]) {
    const est = simulate(start, 100, work, 30).at(-1)!;
    assert.ok(est * 100 <= work * 1.05 && est * 100 >= work * 0.5, `start ${start}, work ${work} ms: estimate ${est * 100} ms`);
  }
});

test('after a stall of a minute the sleep is back to the work within ten readbacks', () => {
  const pending = 100, work = 50;
  const stalled = nextMsPerDispatch(work / pending, pending, 0.8 * work, 60_000);   // stopped mid-wait
  const after = simulate(stalled, pending, work, 10);
  assert.ok(0.8 * pending * after.at(-1)! < 2 * work, `sleep after 10 readbacks: ${0.8 * pending * after.at(-1)!} ms`);
  // the old rule, which counted the sleep, still slept about 8 s at each readback after 10 of them
  let old = stalled;
  for (let i = 0; i < 10; i++) { const sleep = 0.8 * pending * old; old = 0.5 * old + 0.5 * (sleep + Math.max(0, work - sleep)) / pending; }
  assert.ok(0.8 * pending * old > 5_000, `the old rule: ${0.8 * pending * old} ms`);
});

test.run();
