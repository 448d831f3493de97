/** Gaussian-process regression for short 1-D time windows: kernels, composition, fitting and prediction. */
export { product, sum, type Kernel, type ParamOption } from './kernel-algebra.ts';
export * from './elementary-kernels.ts';
export { fitGp, type GpModel } from './gp.ts';
export { makeLml } from './lml.ts';
export { normalization, type Normalize } from './normalize.ts';
export { minimizeBounded, type Objective } from './optimize.ts';
export { minimizeWithRestarts, mulberry32 } from './restarts.ts';
