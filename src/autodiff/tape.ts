import { kernelsOf } from '../backend/kernels.ts';
import { BufferPool } from '../backend/pool.ts';
import type { Backend, ElementwiseKernels } from '../backend/types.ts';
import { assertSameShape, formatShape, shapeSize, Tensor } from '../tensor/tensor.ts';

/** A trainable tensor with its gradient buffer (same shape), living as long as its model. */
export class Parameter {
  readonly grad: Tensor;

  constructor(
    readonly name: string,
    readonly value: Tensor,
    grad?: Tensor,
  ) {
    this.grad = grad ?? Tensor.zeros(value.shape);
  }
}

/**
 * A value recorded on a tape: the node of the graph. `backwardFn` adds this node's gradient
 * contribution into its parents' gradients (micrograd style: each op owns a small closure).
 */
export class Var {
  private gradTensor: Tensor | null = null;

  constructor(
    readonly tape: Tape,
    readonly value: Tensor,
    readonly op: string,
    readonly parents: readonly Var[],
    readonly requiresGrad: boolean,
    readonly backwardFn: (() => void) | null,
    /** For parameter leaves: the parameter whose `grad` receives this node's gradient. */
    readonly parameter: Parameter | null = null,
  ) {}

  get shape(): readonly number[] {
    return this.value.shape;
  }

  /** The gradient so far, or null when nothing has flowed into this node. */
  get grad(): Tensor | null {
    return this.gradTensor;
  }

  /** The gradient buffer, created zero-filled on first use; backward rules add into it. */
  gradData(): Float32Array {
    if (!this.gradTensor) {
      // A parameter's grad was zeroed when it entered the tape.
      if (this.parameter) {
        this.gradTensor = this.parameter.grad;
      } else {
        this.gradTensor = this.tape.alloc(this.value.shape);
        this.gradTensor.data.fill(0);
      }
    }
    return this.gradTensor.data;
  }

  /** The single value of a scalar node. */
  item(): number {
    if (this.value.size !== 1) throw new Error(`item() needs a scalar, got shape ${formatShape(this.shape)}`);
    return this.value.data[0];
  }
}

/**
 * Records operations in execution order, so walking the records backwards is a valid reverse
 * topological order: no graph search is needed. All intermediate storage comes from a buffer
 * pool and goes back to it on `release()`, so a training loop allocates nothing after step one.
 */
export class Tape {
  readonly nodes: Var[] = [];
  readonly kernels: ElementwiseKernels;
  private readonly taken: Float32Array[] = [];
  private readonly parameterVars = new Map<Parameter, Var>();

  constructor(
    readonly backend: Backend,
    // Plain memory by default: a backend's own memory is taken through a model's pool, which
    // returns it on dispose(); an ad hoc tape has nobody to free it.
    readonly pool: BufferPool = new BufferPool(),
    /** When false (inference), parameters enter as constants and no backward closures are kept. */
    readonly gradEnabled = true,
  ) {
    this.kernels = kernelsOf(backend);
  }

  /** A pooled tensor whose contents are undefined until written; returned to the pool on release(). */
  alloc(shape: readonly number[]): Tensor {
    const buffer = this.pool.take(shapeSize(shape));
    this.taken.push(buffer);
    return new Tensor(buffer, shape);
  }

  /** Input data: a leaf that needs no gradient. */
  constant(value: Tensor): Var {
    return this.push(new Var(this, value, 'constant', [], false, null));
  }

  /** A trainable leaf. Its gradient goes to `p.grad`, which is zeroed when the parameter first enters this tape. */
  param(p: Parameter): Var {
    if (!this.gradEnabled) return this.constant(p.value);
    const existing = this.parameterVars.get(p);
    if (existing) return existing;
    p.grad.data.fill(0);
    const v = this.push(new Var(this, p.value, 'parameter', [], true, null, p));
    this.parameterVars.set(p, v);
    return v;
  }

  /** Records an op result. `backward` runs only if some parent needs a gradient and grad is enabled. */
  record(value: Tensor, op: string, parents: readonly Var[], backward: () => void): Var {
    const requiresGrad = this.gradEnabled && parents.some((p) => p.requiresGrad);
    return this.push(new Var(this, value, op, parents, requiresGrad, requiresGrad ? backward : null));
  }

  /**
   * Back-propagates from `root` into every node that needs a gradient. A scalar root is seeded
   * with `seed` (default 1); any other root needs a seed tensor of its shape (a vector–Jacobian
   * product).
   */
  backward(root: Var, seed: number | Tensor = 1): void {
    if (root.tape !== this) throw new Error('backward(): the node belongs to another tape');
    if (!root.requiresGrad) throw new Error('backward(): the root does not depend on any parameter');
    if (typeof seed === 'number') {
      if (root.value.size !== 1) {
        throw new Error(
          `backward() from a non-scalar of shape ${formatShape(root.shape)} needs a seed tensor of that shape`,
        );
      }
      root.gradData()[0] += seed;
    } else {
      assertSameShape('backward() seed', seed.shape, root.shape);
      const g = root.gradData();
      for (let i = 0; i < g.length; i++) g[i] += seed.data[i];
    }
    for (let i = this.nodes.length - 1; i >= 0; i--) {
      const node = this.nodes[i];
      if (node.backwardFn && node.grad) node.backwardFn();
    }
  }

  /** Returns every pooled buffer this tape took. Values read from its nodes after this are invalid. */
  release(): void {
    for (const b of this.taken) this.pool.give(b);
    this.taken.length = 0;
    this.nodes.length = 0;
    this.parameterVars.clear();
  }

  private push(v: Var): Var {
    this.nodes.push(v);
    return v;
  }
}
