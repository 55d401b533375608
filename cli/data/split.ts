// densenas data split: sorted, seeded train/val lists and classes.json for an image folder.
import type { Argv } from 'yargs';
import { writeSplit } from '../../nas/data/split.js';
import { integerOptions, jsonOption } from '../options.js';

export const command = 'split';
export const describe = 'write OUT/train.txt, OUT/val.txt and OUT/classes.json for an image folder';
export const builder = (y: Argv) => y
  .option('images', { type: 'string', demandOption: true, describe: 'image root: ROOT/<class>/<image>' })
  .option('out', { type: 'string', demandOption: true, describe: 'directory for the lists' })
  .option('classes', { type: 'number', describe: 'use N classes (default all): the first N sorted, or see --random-classes' })
  .option('random-classes', { type: 'boolean', default: false, describe: 'choose the N classes at random with the seed' })
  .option('val-fraction', { type: 'number', default: 0.2, describe: 'fraction of each class that goes to val' })
  .option('seed', { type: 'number', default: 0 })
  .check(integerOptions({ classes: 1, seed: 0 }))
  .option('json', jsonOption);
export function handler(a: { images: string; out: string; classes?: number; randomClasses: boolean; valFraction: number; seed: number; json: boolean }): void {
  const r = writeSplit(a);
  if (a.json) { console.log(JSON.stringify({ out: a.out, classes: r.classes, train: r.train.length, val: r.val.length })); return; }
  console.log(`${a.out}: ${r.classes.length} classes, ${r.train.length} train, ${r.val.length} val`);
}
