// Timing GPU work: repeated runs after warm-up, by GPU timestamps where the adapter offers them
// (else by queue completion). Each timed run sleeps through the work before waiting for it: the
// wait spins a JavaScript thread, which on a software adapter would take a core from the work.
// Where asked, also the steady-state wall-clock: the runs again back to back, as a training loop
// runs its steps, with one wait at the end.
import { runtime } from './runtime.js';

export interface Timing {
  /** Fastest run (ms): interference on a shared machine only adds time. */
  min: number;
  median: number;
  /** Slowest minus fastest (ms). */
  spread: number;
  /** Steady-state wall-clock per run (ms): `runs` runs back to back, waits and readbacks included. */
  wall?: number;
  runs: number;
  timer: 'gpu-timestamps' | 'queue-completion';
}

/** The median of a list (the mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * Times `step` (which records GPU work and may read results back) `runs` times after `warmup`;
 * with `wall`, then `runs` times more back to back for the steady-state wall-clock.
 */
export async function timeRuns(step: () => void | Promise<void>, runs: number, warmup: number,
                               o: { wall?: boolean } = {}): Promise<Timing> {
  const q = runtime().queue;
  let lastWall = 0;
  for (let i = 0; i < warmup; i++) {
    const t0 = performance.now();
    await step();
    await q.sync();
    lastWall = performance.now() - t0;
  }
  const gpu: number[] = [], waited: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const g = await q.timeGpu(step, 1.2 * lastWall);
    await q.sync();
    waited.push(performance.now() - t0);
    if (g) gpu.push(g);   // null without timestamps, 0 when the step ran no compute pass (a copy)
  }
  const use = gpu.length === runs ? gpu : waited;
  const t: Timing = {
    min: Math.min(...use), median: median(use), spread: Math.max(...use) - Math.min(...use), runs,
    timer: use === gpu ? 'gpu-timestamps' : 'queue-completion',
  };
  if (o.wall) {
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) await step();
    await q.sync();
    t.wall = (performance.now() - t0) / runs;
  }
  return t;
}
