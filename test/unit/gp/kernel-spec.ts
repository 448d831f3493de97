/**
 * Builds kernels from the language-neutral specs in test/fixtures/gp/references.json (written by
 * make_references.py), e.g. `{ "sum": [{ "rbf": { "lengthScale": 1.5 } }, { "white": { "noise": 0.1 } }] }`.
 */
import {
  constant,
  linear,
  matern,
  product,
  rationalQuadratic,
  rbf,
  sum,
  white,
  wiener,
  type Kernel,
  type MaternNu,
  type ParamOption,
} from '../../../forecast/gp/index.ts';

/** A kernel node as the reference generator writes it. */
export type KernelSpec = { readonly [kind: string]: unknown };

type Options = Record<string, ParamOption | number | undefined>;

/** The kernel a spec describes. */
export function kernelFromSpec(spec: KernelSpec): Kernel {
  const [kind, body] = Object.entries(spec)[0] ?? [];
  if (kind === 'sum' || kind === 'product') {
    const [a, b] = body as [KernelSpec, KernelSpec];
    return (kind === 'sum' ? sum : product)(kernelFromSpec(a), kernelFromSpec(b));
  }
  const o = body as Options;
  const p = (name: string) => o[name] as ParamOption | undefined;
  switch (kind) {
    case 'constant':
      return constant({ value: p('value') });
    case 'white':
      return white({ noise: p('noise') });
    case 'rbf':
      return rbf({ lengthScale: p('lengthScale') });
    case 'matern':
      return matern({ nu: o.nu as MaternNu, lengthScale: p('lengthScale') });
    case 'rq':
      return rationalQuadratic({ lengthScale: p('lengthScale'), alpha: p('alpha') });
    case 'linear':
      return linear({ bias: p('bias'), variance: p('variance'), center: o.center as number | undefined });
    case 'wiener':
      return wiener({ variance: p('variance'), anchor: o.anchor as number | undefined });
    default:
      throw new Error(`unknown kernel kind ${String(kind)}`);
  }
}
