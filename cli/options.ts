// Options shared by the NAS commands.
import type { Argv } from 'yargs';
import { loadConfig, type Config } from '../nas/config.js';
import { showValue } from '../nas/io.js';

export const configOption = { type: 'string', describe: 'search config YAML (merged over the defaults of nas/config.ts)' } as const;
export const setOption = { type: 'string', array: true, default: [] as string[], describe: 'override a config key: --set optim.sub_obj.sub_loss_factor=0.2 (repeatable)' } as const;
export const jsonOption = { type: 'boolean', default: false, describe: 'print one JSON object, numbers unrounded' } as const;

export function withConfig<T>(y: Argv<T>) {
  return y.option('config', configOption).option('set', setOption);
}

export function configFrom(argv: { config?: string; set?: string[] }): Config {
  return loadConfig(argv.config ? [argv.config] : [], argv.set ?? []);
}

/** Fixed-point text for people; --json output keeps full precision. */
export const fmt = (x: number, digits = 3) => x.toFixed(digits);

const camel = (name: string) => name.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());

/**
 * A yargs check that each named numeric option, when given, is an integer of at least its
 * minimum (yargs passes "abc" as NaN, and 0 runs or a size of 2.5 would print Infinity or NaN).
 */
export function integerOptions(spec: Record<string, number>) {
  return (a: Record<string, unknown>): true => {
    for (const [name, min] of Object.entries(spec)) {
      const v = a[camel(name)];
      if (v !== undefined && !(Number.isInteger(v) && (v as number) >= min)) throw new Error(`--${name} must be an integer >= ${min}, got ${showValue(v)}`);
    }
    return true;
  };
}
