// Options shared by the NAS commands.
import type { Argv } from 'yargs';
import { loadConfig, type Config } from '../nas/config.js';

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
