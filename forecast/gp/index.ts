/**
 * Gaussian-process regression for short 1-D time windows: kernels, composition, fitting and prediction.
 * Pure and deterministic; see gp.ts for the model and elementary-kernels.ts for the covariance functions.
 */
export {
  DEFAULT_BOUNDS,
  product,
  sum,
  type Kernel,
  type KernelForm,
  type ParamOption,
} from './kernel-algebra.ts';
export {
  constant,
  linear,
  matern,
  rationalQuadratic,
  rbf,
  white,
  wiener,
  type LabelOption,
  type MaternNu,
} from './elementary-kernels.ts';
export { fitGp, type FitOptions, type GpModel } from './gp.ts';
export type { Prediction } from './posterior.ts';
export { makeLml, type LmlEvaluator } from './lml.ts';
export { cholesky, type JitterOptions } from './linalg.ts';
export { normalization, type Normalization, type Normalize } from './normalize.ts';
export { minimizeBounded, type MinimizeOptions, type MinimizeResult, type Objective } from './optimize.ts';
export { minimizeWithRestarts, mulberry32, type RestartOptions } from './restarts.ts';
