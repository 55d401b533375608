// The cost term of the architecture loss (spec 3.5) and target forms (spec 9d). All forms scale
// by lambda_eff = sub_loss_factor / ln(log_base), the only knob of the original:
//   none       lambda_eff * ln C                      (= sub_loss_factor * log_{log_base} C)
//   upper      lambda_eff * max(0, ln(C / target))    (no push once the cost is under the target)
//   two_sided  lambda_eff * |ln(C / target)|          (pulls the cost to the target from both sides)
// Above the target, 'upper' has the same gradient as the original form.
import type { Config } from './config.js';
import { Tape, type Var } from './tape.js';

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

/** The cost term as a tape node of the expected cost C: its one definition. */
export function costLossNode(t: Tape, C: Var, o: CostLossOptions): Var {
  if (!(C.value > 0)) throw new Error(`cost loss: the expected cost must be positive, got ${C.value}`);
  const lam = o.subLossFactor / Math.log(o.logBase);
  if (o.target === undefined || o.target === null) return t.mul(lam, t.log(C));
  const r = t.sub(t.log(C), Math.log(o.target));
  return t.mul(lam, o.targetForm === 'two_sided' ? t.abs(r) : t.relu(r));
}

/** Value of the cost term and its derivative with respect to the expected cost C. */
export function costLoss(C: number, o: CostLossOptions): { value: number; dC: number } {
  const t = new Tape(), c = t.leaf(C), loss = costLossNode(t, c, o);
  t.backward(loss);
  return { value: loss.value, dC: c.grad };
}
