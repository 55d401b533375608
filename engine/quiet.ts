// Dawn prints two warnings of its own on every adapter it enumerates ("Warning:
// maxDynamic...BuffersPerPipelineLayout artificially reduced ...") from native code, straight to
// file descriptor 2, where JavaScript cannot intercept them. A program that wants them gone runs
// its work in a child process whose standard error passes through a filter that drops these
// lines: the densenas commands do (--verbose keeps them), and a library program does by calling
// quietDawnWarnings() first. The child dies with its parent and gets the signals the parent
// gets, job control included: Ctrl-Z stops both, fg continues both.
import { spawn } from 'node:child_process';

const DAWN_NOISE = /^Warning: maxDynamic\w+PerPipelineLayout artificially reduced\b/;
const CHILD = 'DENSENAS_FILTERED_CHILD';

/** True in the child that the filter runs. */
export const isFilteredChild = () => process.env[CHILD] === '1';

/** In the child: exit as if killed when the parent goes, so that a kill of the program stops the work. */
export function followParent(): void {
  if (!process.channel) return;
  process.channel.unref();
  process.on('disconnect', () => process.kill(process.pid, 'SIGKILL'));
}

/** Runs `script args` in a child with Dawn's noise filtered from its standard error; exits with its status. */
export function runFiltered(script: string, args: string[]): Promise<never> {
  const child = spawn(process.execPath, [...process.execArgv, script, ...args], {
    stdio: ['inherit', 'inherit', 'pipe', 'ipc'],
    detached: true,   // its own process group: a terminal's Ctrl-C reaches it once, forwarded from here
    env: { ...process.env, [CHILD]: '1', ...(process.stderr.isTTY ? { DENSENAS_STDERR_TTY: '1' } : {}) },
  });
  let tail = '';
  child.stderr!.on('data', (buf: Buffer) => {
    const lines = (tail + buf.toString()).split('\n');
    tail = lines.pop()!;
    const kept = lines.filter((l) => !DAWN_NOISE.test(l));
    if (kept.length) process.stderr.write(kept.join('\n') + '\n');
    // A progress bar redraws in place without a newline: pass it through at once.
    if (tail.includes('\r')) { process.stderr.write(tail); tail = ''; }
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, () => child.kill(sig));
  // Job control: the child is in its own process group, which a terminal's Ctrl-Z does not reach.
  // Stop it, then this process (SIGSTOP: a handled SIGTSTP no longer stops by itself); on
  // continue, continue it.
  process.on('SIGTSTP', () => { child.kill('SIGSTOP'); process.kill(process.pid, 'SIGSTOP'); });
  process.on('SIGCONT', () => child.kill('SIGCONT'));
  return new Promise(() => {
    child.on('close', (code, signal) => {
      if (tail && !DAWN_NOISE.test(tail)) process.stderr.write(tail);
      if (signal) { process.removeAllListeners(signal); process.kill(process.pid, signal); }
      process.exit(code ?? 1);
    });
  });
}

/**
 * For a program using the library: call first, at the top level (`await quietDawnWarnings()`).
 * The program then runs again as a child with Dawn's warnings filtered from its standard error,
 * and this process ends with the child's status; in the child (or with DENSENAS_VERBOSE=1) it
 * returns at once.
 */
export async function quietDawnWarnings(): Promise<void> {
  if (isFilteredChild()) { followParent(); return; }
  if (process.env.DENSENAS_VERBOSE === '1' || !process.argv[1]) return;
  await runFiltered(process.argv[1], process.argv.slice(2));
}
