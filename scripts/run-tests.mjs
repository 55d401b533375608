// Runs every compiled test file (dist/test/**/*.test.js) in its own Node process, so that one
// file that crashes or hangs Dawn cannot take the others with it, and ends with the line
// "N passed, N failed". Usage: node scripts/run-tests.mjs [filter ...]
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const perFileTimeoutMs = Number(process.env.TEST_FILE_TIMEOUT_S ?? 1200) * 1000;

if (process.argv[2] === '--one') await runOne(process.argv[3]);
else await runAll(process.argv.slice(2));

function listTests(dir) {
  let out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out = out.concat(listTests(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

async function runAll(filters) {
  const files = listTests(join(root, 'dist/test')).filter((f) => filters.every((s) => f.includes(s)));
  let passed = 0, failed = 0, skipped = 0;
  for (const file of files) {
    const name = relative(root, file);
    const t0 = Date.now();
    const r = await runChild(file);
    const secs = ((Date.now() - t0) / 1000).toFixed(1);
    if (r.counts) {
      passed += r.counts.passed; failed += r.counts.failed; skipped += r.counts.skipped;
      if (r.code !== 0 && r.counts.failed === 0) failed += 1;   // crashed after its tests
    } else {
      failed += 1;
      console.log(`\n${name}: ${r.timedOut ? 'timed out' : `exited with code ${r.code}`} before reporting`);
    }
    console.log(`-- ${name} (${secs} s)`);
  }
  console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exit(failed ? 1 : 0);
}

function runChild(file) {
  return new Promise((done) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--one', file], {
      stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, FORCE_COLOR: '0' },
    });
    let counts = null, tail = '';
    child.stdout.on('data', (buf) => {
      const text = tail + buf.toString();
      const lines = text.split('\n');
      tail = lines.pop();
      for (const line of lines) {
        if (line.startsWith('@@counts ')) counts = JSON.parse(line.slice(9));
        else process.stdout.write(line + '\n');
      }
    });
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, perFileTimeoutMs);
    child.on('close', (code) => { clearTimeout(timer); if (tail) process.stdout.write(tail + '\n'); done({ code, counts, timedOut }); });
  });
}

// Child: import one file's suites with uvu deferred, count results per suite, exit explicitly
// (a live Dawn device would otherwise keep the process running).
async function runOne(file) {
  globalThis.UVU_DEFER = 1;
  const uvu = await import('uvu');
  globalThis.UVU_INDEX = 0;
  globalThis.UVU_QUEUE.push([relative(root, file)]);
  const counts = { passed: 0, failed: 0, skipped: 0 };
  let code = 0;
  try {
    await import(pathToFileURL(file).href);
    for (const group of globalThis.UVU_QUEUE) {
      for (let i = 1; i < group.length; i++) {
        const run = group[i];
        group[i] = async () => {
          const r = await run();
          const [errs, ran, skip, max] = r;
          counts.passed += ran; counts.skipped += skip;
          counts.failed += errs === true ? 0 : max - ran;
          return r;
        };
      }
    }
    await uvu.exec(false);
  } catch (err) {
    console.log(`${relative(root, file)}: ${err?.stack ?? err}`);
    counts.failed += 1; code = 1;
  }
  console.log('@@counts ' + JSON.stringify(counts));
  process.exit(code || (counts.failed ? 1 : 0));
}
