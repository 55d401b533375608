// densenas data pack: images named by a list (or all of a folder) into an LMDB; resumable.
import type { Argv } from 'yargs';
import { packImages } from '../../nas/data/pack.js';
import { integerOptions, jsonOption } from '../options.js';

export const command = 'pack';
export const describe = 'pack images into an LMDB (re-run to finish an interrupted pack)';
export const builder = (y: Argv) => y
  .option('images', { type: 'string', demandOption: true, describe: 'image root: ROOT/<class>/<image>' })
  .option('list', { type: 'string', describe: 'list of <class>/<file> lines (default: every image under ROOT)' })
  .option('classes', { type: 'string', describe: 'classes.json (default: beside the list, or the sorted class folders)' })
  .option('out', { type: 'string', demandOption: true, describe: 'LMDB directory' })
  .option('size', { type: 'number', describe: 'resize so that the shorter side is S' })
  .option('quality', { type: 'number', default: 95, describe: 'JPEG quality when resized images are re-encoded' })
  .option('store', { choices: ['auto', 'raw', 'encoded'] as const, default: 'auto' as const, describe: 'raw pixels, encoded bytes, or raw up to 64x64' })
  .option('skip-bad', { type: 'boolean', default: false, describe: 'skip and count images that do not decode' })
  .check(integerOptions({ size: 1, quality: 1 }))
  .option('json', jsonOption);
export async function handler(a: {
  images: string; list?: string; classes?: string; out: string; size?: number; quality: number; store: 'auto' | 'raw' | 'encoded'; skipBad: boolean; json: boolean;
}): Promise<void> {
  const r = await packImages({ ...a, classMap: a.classes });
  if (a.json) { console.log(JSON.stringify({ out: a.out, records: r.count, already_complete: r.alreadyComplete, skipped: r.skipped })); return; }
  for (const s of r.skipped) console.error(`skipped ${s}`);
  console.log(`${a.out}: ${r.count} records${r.alreadyComplete ? ' (already complete)' : ''}${r.skipped.length ? `, ${r.skipped.length} bad images skipped` : ''}`);
}
