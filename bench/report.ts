// Shared by the benchmarks: machine information, an aligned table on stdout, and a JSON report
// written atomically, so that a run can be compared with the last one.
import * as os from 'node:os';
import { writeFileAtomic } from '../nas/io.js';

export type Row = Record<string, string | number>;

export interface MachineInfo {
  node: string;
  platform: string;
  arch: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
}

export interface Report {
  benchmark: string;
  date: string;
  machine: MachineInfo;
  results: Row[];
  [extra: string]: unknown;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    node: process.version, platform: os.platform(), arch: os.arch(),
    cpu: cpus[0]?.model.trim() ?? 'unknown', cores: cpus.length, memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
  };
}

/** A report of `results`, with the date and machine filled in; `extra` adds fields (an adapter, say). */
export function makeReport(benchmark: string, results: Row[], extra: Record<string, unknown> = {}): Report {
  return { benchmark, date: new Date().toISOString(), machine: machineInfo(), ...extra, results };
}

/** The rows as an aligned table: text columns left-aligned, numbers right-aligned. */
export function formatTable(rows: Row[], columns: string[]): string {
  const cell = (v: string | number | undefined) => (v === undefined ? '' : typeof v === 'number' ? formatNumber(v) : v);
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, j) => Math.max(c.length, ...cells.map((r) => r[j].length)));
  const numeric = columns.map((c) => rows.some((r) => typeof r[c] === 'number'));
  const line = (r: string[]) => r.map((v, j) => (numeric[j] ? v.padStart(widths[j]) : v.padEnd(widths[j]))).join('  ').trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}

export function printTable(rows: Row[], columns: string[]): void {
  console.log(formatTable(rows, columns));
}

export function writeJson(file: string, report: Report): void {
  writeFileAtomic(file, JSON.stringify(report, null, 2) + '\n');
}

function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
}
