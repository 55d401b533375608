// Running the densenas program from tests, as a user would: a child process in a temp folder.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = path.resolve(fileURLToPath(import.meta.url), '../../cli/densenas.js');

export function tempDir(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `densenas-${name}-`));
}

export interface CliResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

/** Runs `densenas ...args`; onStart gets the child (to kill it). */
export function runCli(args: string[], onStart?: (child: ReturnType<typeof spawn>) => void): Promise<CliResult> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('close', (code, signal) => done({ code, signal, stdout, stderr }));
    onStart?.(child);
  });
}
