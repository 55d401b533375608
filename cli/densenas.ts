#!/usr/bin/env node
// The densenas program: one yargs command module per subcommand in this folder.
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
import * as retrain from './retrain.js';
import * as sample from './sample.js';
import * as search from './search.js';
import * as space from './space.js';
import * as validate from './validate.js';

process.env.XDG_RUNTIME_DIR ??= `/tmp/runtime-${process.getuid?.() ?? 0}`;

try {
  await yargs(hideBin(process.argv))
    .scriptName('densenas')
    // one call each: a list would need one argument type for all
    .command(device).command(space).command(arch).command(cost).command(data).command(lut).command(search).command(derive).command(sample).command(retrain)
    .command(validate).command(exporter).command(plot).command(bench)
    .demandCommand(1, 'name a command (densenas --help lists them)')
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
