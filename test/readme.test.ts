// The README cannot drift from the program: every command in its code blocks parses with the
// real command definitions (strict: no unknown option, every required one, valid choices), names
// files that exist in the project or that an earlier command of the README writes, and sets only
// config keys and values that the config accepts. Its fresh-machine commands are package scripts
// that set the machine up.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import yargs, { type Argv } from 'yargs';
import { loadConfig } from '../nas/config.js';
import { classFolder, readFashionMnist } from '../nas/data/fashion_mnist.js';
import * as arch from '../cli/arch.js';
import * as benchData from '../cli/bench/data.js';
import * as benchKernels from '../cli/bench/kernels.js';
import * as benchSearch from '../cli/bench/search.js';
import * as cost from '../cli/cost.js';
import * as dataFashionMnist from '../cli/data/fashion_mnist.js';
import * as dataPack from '../cli/data/pack.js';
import * as dataRead from '../cli/data/read.js';
import * as dataSplit from '../cli/data/split.js';
import * as derive from '../cli/derive.js';
import * as device from '../cli/device.js';
import * as exporter from '../cli/export.js';
import * as lutBuild from '../cli/lut/build.js';
import * as lutCheck from '../cli/lut/check.js';
import * as plot from '../cli/plot.js';
import * as predict from '../cli/predict.js';
import * as retrain from '../cli/retrain.js';
import * as sample from '../cli/sample.js';
import * as score from '../cli/score.js';
import * as signal from '../cli/signal.js';
import * as search from '../cli/search.js';
import * as space from '../cli/space.js';
import * as validate from '../cli/validate.js';
import { ROOT } from './nas/paths.js';

interface Leaf { command: string; describe: string; builder: (y: Argv) => Argv<unknown> }
const LEAVES: Record<string, Leaf> = {
  arch, cost, derive, device, export: exporter, plot, predict, retrain, sample, score, search, signal, space, validate,
  'bench data': benchData, 'bench kernels': benchKernels, 'bench search': benchSearch,
  'data fashion-mnist': dataFashionMnist, 'data pack': dataPack, 'data read': dataRead, 'data split': dataSplit,
  'lut build': lutBuild, 'lut check': lutCheck,
} as unknown as Record<string, Leaf>;
const GROUPS = new Set(['bench', 'data', 'lut']);
/** Options whose values are files or folders the command reads. */
const INPUTS = new Set(['config', 'net-config', 'table', 'data', 'run', 'model', 'weights', 'params', 'list', 'images', 'source']);

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** Every command line of the README's code blocks (indented or fenced, not the js programs), continuations joined. */
function commands(): string[] {
  const out: string[] = [];
  let fenced = false, lang = '';
  const lines = readme.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\w*)/.exec(lines[i]);
    if (fence) { fenced = !fenced; lang = fence[1]; continue; }
    const inBlock = fenced ? lang !== 'js' : /^ {4}\S/.test(lines[i]);
    if (!inBlock) continue;
    let line = lines[i].trim();
    while (line.endsWith('\\')) line = line.slice(0, -1).trim() + ' ' + lines[++i].trim();
    if (/^(npx densenas|node cli\/search\.js|npm |bash )/.test(line)) out.push(line);
  }
  return out;
}

/** Which of the README's outputs a path lies in, if any. */
const within = (path: string, outs: string[]) => outs.find((o) => path === o || path.startsWith(o + '/'));

test('the README shows the commands of every part of the guide', () => {
  const cmds = commands();
  assert.ok(cmds.length >= 25, `${cmds.length} commands`);
  for (const c of ['search', 'retrain', 'validate', 'export', 'predict', 'derive', 'lut build', 'data fashion-mnist']) {
    assert.ok(cmds.some((l) => l.startsWith(`npx densenas ${c} `)), `a ${c} command`);
  }
});

test('its fresh-machine commands are package scripts that set the machine up', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  for (const line of ['npm ci && npm run demo', 'npm ci && npm test']) assert.ok(commands().includes(line), line);
  assert.match(readFileSync(join(ROOT, pkg.scripts.demo.replace(/^bash /, '')), 'utf8'), /bash scripts\/setup --data/);
  assert.match(pkg.scripts.pretest, /bash scripts\/setup --data/);
});

test('every densenas command parses, reads files that exist or that an earlier command writes, and sets valid keys', async () => {
  const outs: string[] = [];
  const fmnistFolders: string[] = [];   // outputs of `data fashion-mnist` in folder form
  for (const line of commands().filter((l) => !/^(npm|bash) /.test(l) && l !== 'npx densenas --help')) {
    const words = line.replace(/^npx densenas |^node cli\/search\.js /, (m) => (m.startsWith('node') ? 'search ' : '')).split(/\s+/);
    const name = GROUPS.has(words[0]) ? `${words[0]} ${words[1]}` : words[0];
    const leaf = LEAVES[name];
    assert.ok(leaf, `${line}: no command '${name}'`);
    const args = GROUPS.has(words[0]) ? words.slice(1) : words;
    let parsed: Record<string, unknown> = {};
    await yargs(args)
      .command({ command: leaf.command, describe: leaf.describe, builder: leaf.builder, handler: (a) => { parsed = a; } })
      .option('adapter', { type: 'string' }).option('verbose', { type: 'boolean' })
      .strict().exitProcess(false)
      .fail((msg, err) => { throw new Error(`${line}: ${msg ?? err?.message}`); })
      .parseAsync();
    // files read
    const inputs: string[] = [];
    for (const [k, v] of Object.entries(parsed)) if (INPUTS.has(k) && v !== undefined) inputs.push(...([] as string[]).concat(v as string));
    if (name === 'predict') inputs.push(...(parsed.images as string[]));
    if (name === 'score') inputs.push(...(parsed.archs as string[]));
    if (name === 'data fashion-mnist') inputs.length = 0;   // --source defaults to Debian's data set
    for (const f of inputs) {
      assert.ok(!isAbsolute(f) && !f.split('/').includes('..'), `${line}: ${f} lies outside the project`);
      if (existsSync(join(ROOT, f))) continue;
      const from = within(f, outs);
      assert.ok(from, `${line}: ${f} is neither in the project nor written by an earlier command`);
      // A Fashion-MNIST image named by its class folder and index must be that class.
      const m = /^(train|test)\/([^/]+)\/(\d+)\.png$/.exec(f.slice(from!.length + 1));
      if (m && fmnistFolders.includes(from!)) {
        const fm = readFashionMnist(m[1] === 'train' ? 'train' : 't10k');
        assert.is(m[2], classFolder(fm.labels[Number(m[3])]), `${line}: image ${m[3]} of ${m[1]}`);
      }
    }
    // config keys
    const sets = (parsed.set as string[] | undefined) ?? [];
    if (sets.length || parsed.config) loadConfig(parsed.config ? [join(ROOT, parsed.config as string)] : [], sets);
    if (typeof parsed.out === 'string') outs.push(parsed.out);
    if (name === 'data fashion-mnist' && parsed.format === 'folder') fmnistFolders.push(parsed.out as string);
  }
});

test.run();
