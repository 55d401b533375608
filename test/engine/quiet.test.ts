// quietDawnWarnings reruns a program as a child behind a filter of its standard error: the
// child's other output passes, its exit status is the program's, and job control reaches it
// (Ctrl-Z's SIGTSTP to the program stops the child too; SIGCONT continues it).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const file = join(root, 'dist', 'quiet-test-program.mjs');
// Prints its pid, then noise and a line on stderr, then ticks until told to stop.
writeFileSync(file, `import { quietDawnWarnings } from 'densenas-webgpu/engine';
await quietDawnWarnings();
console.log('child ' + process.pid);
console.error('Warning: maxDynamicStorageBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.');
console.error('kept line');
if (process.argv[2] === 'exit') process.exit(3);
setInterval(() => {}, 1000);
`);
test.after(() => rmSync(file, { force: true }));

const state = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !ok(); i++) await sleep(25);
  assert.ok(ok(), what);
}

test('the noise is dropped, other lines and the exit status pass; DENSENAS_VERBOSE=1 keeps the noise', () => {
  const r = spawnSync(process.execPath, [file, 'exit'], { encoding: 'utf8' });
  assert.is(r.status, 3);
  assert.match(r.stderr, /kept line/);
  assert.not.match(r.stderr, /artificially reduced/);
  const loud = spawnSync(process.execPath, [file, 'exit'], { encoding: 'utf8', env: { ...process.env, DENSENAS_VERBOSE: '1' } });
  assert.match(loud.stderr, /artificially reduced/);
  assert.match(loud.stdout, new RegExp(`child ${loud.pid}`), 'verbose: no child, the program itself');
});

test('SIGTSTP stops the program and its child; SIGCONT continues both; SIGTERM ends both', async () => {
  const p = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (b) => { out += b; });
  await until(() => /child \d+/.test(out), 'the child started');
  const child = Number(/child (\d+)/.exec(out)![1]);
  assert.is.not(child, p.pid);
  p.kill('SIGTSTP');
  await until(() => state(child) === 'T' && state(p.pid!) === 'T', 'both stopped');
  p.kill('SIGCONT');
  await until(() => state(child) !== 'T' && state(p.pid!) !== 'T', 'both running again');
  const closed = new Promise<string | null>((r) => p.on('close', (_c, sig) => r(sig)));
  p.kill('SIGTERM');
  assert.is(await closed, 'SIGTERM');
  await until(() => { try { return state(child) === 'Z'; } catch { return true; } }, 'the child ended');
});

test.run();
