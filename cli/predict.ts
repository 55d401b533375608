// densenas predict: the top classes of image files under an exported model, with their names.
import type { Argv } from 'yargs';
import { openEngine, destroy } from '../nas/api.js';
import { predict } from '../nas/predict.js';
import { jsonOption } from './options.js';

export const command = 'predict <images..>';
export const describe = 'classify image files with an exported model (densenas export): top classes and probabilities';
export const builder = (y: Argv) => y
  .positional('images', { type: 'string', array: true, demandOption: true, describe: 'image files (PNG, JPEG, WebP... anything sharp decodes)' })
  .option('model', { type: 'string', demandOption: true, describe: 'exported model directory (densenas export --out DIR)' })
  .option('top', { type: 'number', default: 3, describe: 'classes to print per image' })
  .option('json', jsonOption);

export async function handler(a: { images: string[]; model: string; top: number; json: boolean }): Promise<void> {
  if (!Number.isInteger(a.top) || a.top < 1) throw new Error(`--top must be a positive integer, got ${a.top}`);
  await openEngine();
  try {
    const r = await predict(a.model, a.images, { top: a.top });
    if (a.json) { console.log(JSON.stringify({ model: a.model, predictions: r })); return; }
    for (const p of r) {
      console.log(p.image);
      for (const t of p.top) console.log(`  ${(100 * t.probability).toFixed(2).padStart(6)} %  ${t.label}  ${t.name}`);
    }
  } finally {
    destroy();
  }
}
