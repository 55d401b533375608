#!/usr/bin/env node
// `node cli/search.js --config ... --data ... --out ...` from a clone: the same search, options
// and help as `densenas search` (cli/search.ts, compiled into dist/ by `npm ci` or `npm run build`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const program = new URL('../dist/cli/densenas.js', import.meta.url);
if (!existsSync(fileURLToPath(program))) {
  console.error('cli/search.js: the program is not built (dist/cli/densenas.js is missing); run `npm ci` or `npm run build` first');
  process.exit(1);
}
process.argv.splice(2, 0, 'search');
await import(program.href);
