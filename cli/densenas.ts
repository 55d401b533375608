#!/usr/bin/env node
// The densenas program: one yargs command module per subcommand in this folder, each a thin
// layer over the package's API (index.ts).
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import * as arch from './arch.js';
import * as bench from './bench.js';
import * as cost from './cost.js';
import * as data from './data.js';
import * as derive from './derive.js';
import * as device from './device.js';
import * as exporter from './export.js';
import * as lut from './lut.js';
import * as plot from './plot.js';
import * as predict from './predict.js';
import * as retrain from './retrain.js';
import * as sample from './sample.js';
import * as score from './score.js';
import * as signal from './signal.js';
import * as search from './search.js';
import * as space from './space.js';
import * as validate from './validate.js';
import { followParent, isFilteredChild, runFiltered } from '../engine/quiet.js';

process.env.XDG_RUNTIME_DIR ??= `/tmp/runtime-${process.getuid?.() ?? 0}`;

// Commands that open the GPU run behind the filter of Dawn's warnings unless --verbose.
const GPU_COMMANDS = new Set(['device', 'lut', 'search', 'retrain', 'validate', 'export', 'bench', 'predict', 'score', 'signal']);
const args = hideBin(process.argv);
const verbose = args.includes('--verbose');
if (isFilteredChild()) followParent();
else if (!verbose && GPU_COMMANDS.has(args.find((a) => !a.startsWith('-')) ?? '') && !args.includes('--help')) await runFiltered(fileURLToPath(import.meta.url), args);

try {
  await yargs(args)
    .scriptName('densenas')
    // one call each: a list would need one argument type for all
    .command(device).command(space).command(arch).command(cost).command(data).command(lut).command(search).command(derive).command(sample).command(score).command(signal).command(retrain)
    .command(validate).command(exporter).command(predict).command(plot).command(bench)
    .option('adapter', {
      type: 'string', global: true,
      describe: "GPU adapter: high-performance, low-power, or part of a name from 'densenas device --all' (default: $DENSENAS_ADAPTER)",
    })
    .option('verbose', { type: 'boolean', global: true, describe: "keep Dawn's own warnings on standard error" })
    .middleware((a) => { if (a.adapter) process.env.DENSENAS_ADAPTER = a.adapter as string; })
    .demandCommand(1, 'name a command (densenas --help lists them)')
    .recommendCommands()
    .strict()
    .help()
    .fail((msg, err, y) => {
      if (err) throw err;
      console.error(`${y.help()}\n\ndensenas: ${msg}`);
      process.exit(2);
    })
    .parseAsync();
  process.exit(0);
} catch (err) {
  const e = err as Error;
  console.error(`densenas: ${process.env.DENSENAS_DEBUG ? e.stack : e.message}`);
  process.exit(1);
}
