// The cost term of the architecture loss (spec 3.5) and target forms (spec 9d). All forms scale
// by lambda_eff = sub_loss_factor / ln(log_base), the only knob of the original:
//   none       lambda_eff * ln C                      (= sub_loss_factor * log_{log_base} C)
//   upper      lambda_eff * max(0, ln(C / target))    (no push once the cost is under the target)
//   two_sided  lambda_eff * |ln(C / target)|          (pulls the cost to the target from both sides)
// Above the target, 'upper' has the same gradient as the original form.
import type { Config } from './config.js';

export interface CostLossOptions {
  subLossFactor: number;
  logBase: number;
  target?: number | null;
  targetForm?: 'upper' | 'two_sided';
}

export function costLossOptions(cfg: Config): CostLossOptions {
  const s = cfg.optim.sub_obj;
  return { subLossFactor: s.sub_loss_factor, logBase: s.log_base, target: s.target, targetForm: s.target_form };
}

/** Value of the cost term and its derivative with respect to the expected cost C. */
export function costLoss(C: number, o: CostLossOptions): { value: number; dC: number } {
  if (!(C > 0)) throw new Error(`cost loss: the expected cost must be positive, got ${C}`);
  const lam = o.subLossFactor / Math.log(o.logBase);
  if (o.target === undefined || o.target === null) return { value: lam * Math.log(C), dC: lam / C };
  const r = Math.log(C / o.target);
  if (o.targetForm === 'two_sided') return { value: lam * Math.abs(r), dC: (lam * Math.sign(r)) / C };
  return r > 0 ? { value: lam * r, dC: lam / C } : { value: 0, dC: 0 };
}
