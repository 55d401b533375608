// Parameters, multiply-adds and table cost of a derived architecture at a config's input shape.
import type { Config } from './config.js';
import { opCounts, sumCounts } from './counting.js';
import { opsTableCost, type CostTable } from './cost_table.js';
import { archOps, type ArchShape, type NetConfig } from './net_config.js';

/** The shape a config's data and space give a derived model, with `classes` outputs. */
export function archShapeOf(cfg: Config, classes: number, batch = 1): ArchShape {
  const [inChannels, inputSize] = cfg.data.input_size;
  return { inputSize, inChannels, stemStride: cfg.search_params.net_scale.stem_stride, classes, batch };
}

export interface ArchSummary { params: number; madds: number; cost: number | null; missing: string[] }

/**
 * Counts at the derived models' class count (train_params.num_classes, as the original logs
 * them) and the table cost at the supernet's (the classifier the table was built for).
 */
export function summarizeArch(net: NetConfig, cfg: Config, table?: CostTable): ArchSummary {
  const counts = sumCounts(archOps(net, archShapeOf(cfg, cfg.train_params.num_classes)).map((d) => opCounts(d, true)));
  if (!table) return { ...counts, cost: null, missing: [] };
  const c = opsTableCost(archOps(net, archShapeOf(cfg, cfg.search_params.num_classes, table.batch)), table);
  return { ...counts, cost: c.missing.length ? null : c.total, missing: c.missing };
}
