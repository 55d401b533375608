// A run directory under interruption and misuse, without a GPU: the lock refuses a live owner
// and takes over a dead one's, a fresh start empties logs left by a run killed before its first
// checkpoint, a resume cuts logs back to the checkpoint and never joins a line onto a cut one, a
// resume with other inputs is refused naming what differs, and the loop state of a checkpoint
// is checked field by field.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultConfig } from '../../nas/config.js';
import { silentReporter, type StepReporter } from '../../nas/progress.js';
import { CHECKPOINT, fingerprintDiff, fingerprintOf, ResumableRun, type DataIdentity } from '../../nas/resumable_run.js';
import { tempDir } from '../cli.js';

const dir = tempDir('rel-rundir');
test.after(() => rmSync(dir, { recursive: true, force: true }));

const images: DataIdentity = { source: '/data/train', images: 600, classes: 10, hash: 'abc' };
const fp = (o: { batch?: number; epochs?: number; data?: DataIdentity; table?: unknown } = {}) => {
  const cfg = defaultConfig();
  cfg.data.batch_size = o.batch ?? 64;
  cfg.train_params.epochs = o.epochs ?? 3;
  return fingerprintOf(cfg, { images: o.data ?? images }, o.table ?? { entries: { a: 1 } });
};
const recorder = (): StepReporter & { lines: string[] } => {
  const lines: string[] = [];
  return { lines, line: (t) => lines.push(t), phase: silentReporter.phase };
};
const open = (out: string, resume: boolean, fingerprint = fp(), reporter: StepReporter = silentReporter) =>
  ResumableRun.open<{ step: number }>({ out, resume, kind: 'test run', logs: ['metrics.jsonl'], results: ['best'], fingerprint, reporter });

test('a run directory in use by a live process is refused; the lock of a dead owner is taken over with a message', () => {
  const out = join(dir, 'locked');
  mkdirSync(out);
  writeFileSync(join(out, 'run.lock'), `${process.ppid}\n`);   // the test runner: alive
  assert.throws(() => open(out, false), new RegExp(`in use by process ${process.ppid}`));
  assert.is(readFileSync(join(out, 'run.lock'), 'utf8'), `${process.ppid}\n`, 'the live owner keeps its lock');
  const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
  writeFileSync(join(out, 'run.lock'), `${dead}\n`);
  const r = recorder();
  const run = open(out, false, fp(), r);
  assert.ok(r.lines.some((l) => l.includes(`taking over the lock of process ${dead}`)), r.lines.join('\n'));
  assert.is(readFileSync(join(out, 'run.lock'), 'utf8'), `${process.pid}\n`);
  assert.throws(() => open(out, false), /in use by process/, 'a second open in the same directory is refused while the first holds it');
  run.close();
  assert.not.ok(existsSync(join(out, 'run.lock')), 'closing releases the lock');
});

test('a fresh start empties the logs and results of a run killed before its first checkpoint', () => {
  const out = join(dir, 'fresh');
  mkdirSync(join(out, 'best'), { recursive: true });
  writeFileSync(join(out, 'metrics.jsonl'), '{"kind":"step","epoch":0,"step":1}\n');
  writeFileSync(join(out, 'best/model.safetensors'), 'stale');
  const run = open(out, false);
  assert.not.ok(existsSync(join(out, 'metrics.jsonl')), 'the stale log is gone');
  assert.not.ok(existsSync(join(out, 'best')), 'the stale best/ is gone');
  run.close();
});

test('a resume cuts logs back to the checkpoint, and after a log cut mid-line continues on a new line', async () => {
  const out = join(dir, 'resume');
  let run = open(out, false);
  run.dir.log('metrics.jsonl', { n: 1 });
  run.dir.log('metrics.jsonl', { n: 2 });
  await run.save({ gpu: {}, host: {}, state: { step: 7 } });
  const recorded = statSync(join(out, 'metrics.jsonl')).size;
  run.dir.log('metrics.jsonl', { n: 3 });   // after the checkpoint: goes on resume
  run.close();
  run = open(out, true);
  assert.equal(run.resumed?.state, { step: 7 });
  assert.is(statSync(join(out, 'metrics.jsonl')).size, recorded);
  run.close();
  // Cut inside the second line: the resume keeps the whole first line only, and says so.
  truncateSync(join(out, 'metrics.jsonl'), recorded - 3);
  const r = recorder();
  run = open(out, true, fp(), r);
  run.dir.log('metrics.jsonl', { n: 4 });
  run.close();
  const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines, [{ n: 1 }, { n: 4 }]);
  assert.ok(r.lines.some((l) => /shorter than the checkpoint recorded/.test(l)), r.lines.join('\n'));
});

test('a resume with another batch size, other data or another table is refused naming each; more epochs are allowed', async () => {
  const out = join(dir, 'inputs');
  const run = open(out, false);
  await run.save({ gpu: {}, host: {}, state: { step: 1 } });
  run.close();
  assert.throws(() => open(out, true, fp({ batch: 32 })), /config data\.batch_size: 32, the run has 64/);
  const other = { source: '/other', images: 606, classes: 2, hash: 'def' };
  assert.throws(() => open(out, true, fp({ data: other })), /images data: 606 images in 2 classes at \/other .*the run has 600 images in 10 classes/);
  assert.throws(() => open(out, true, fp({ table: { entries: { a: 2 } } })), /cost table: content/);
  assert.is(fingerprintDiff(fp(), fp({ batch: 32, table: { entries: { a: 2 } } })).length, 2);
  assert.not.ok(existsSync(join(out, 'run.lock')), 'a refused resume leaves no lock behind');
  // a run started before a config key existed resumes when the key is at its default (the old
  // behaviour), and is refused when it is not
  const older = fp();
  delete older.config['train_params.test_every_epoch'];
  assert.equal(fingerprintDiff(older, fp()), []);
  const changed = fp();
  changed.config['train_params.test_every_epoch'] = 'false';
  assert.equal(fingerprintDiff(older, changed), ['config train_params.test_every_epoch: false, the run has unset']);
  const more = open(out, true, fp({ epochs: 10 }));
  assert.equal(more.resumed?.state, { step: 1 });
  more.close();
});

test('--resume without a checkpoint and a fresh start over one are refused', async () => {
  const out = join(dir, 'refuse');
  assert.throws(() => open(out, true), /holds no checkpoint\.safetensors to resume from/);
  const run = open(out, false);
  await run.save({ gpu: {}, host: {}, state: { step: 1 } });
  run.close();
  assert.ok(existsSync(join(out, CHECKPOINT)));
  assert.throws(() => open(out, false), /already holds a test run .*--resume/);
});

test('a non-finite loss stops the run with an error naming the value, epoch, phase and batch', () => {
  const run = open(join(dir, 'nan'), false);
  run.checkFinite('loss', 2.5, { epoch: 0, phase: 'weight', batch: 3 });
  assert.throws(() => run.checkFinite('loss', NaN, { epoch: 4, phase: 'weight', batch: 17 }), /the loss is NaN at epoch 4, weight batch 17; stopped, keeping the last checkpoint and best\//);
  assert.throws(() => run.checkFinite('validation loss', Infinity, { epoch: 1, phase: 'validation', batch: 2 }), /validation loss is Infinity at epoch 1/);
  run.close();
});

test('a --out that is a file is an error naming it', () => {
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  assert.throws(() => open(file, false), new RegExp(`${file}: exists and is not a directory`));
  assert.throws(() => open(join(file, 'below'), false), /a-file.*(not a directory|ENOTDIR)/);
});

test.run();
