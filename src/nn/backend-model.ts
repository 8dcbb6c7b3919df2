import { Tape } from '../autodiff/tape.ts';
import { BufferPool } from '../backend/pool.ts';
import type { Backend } from '../backend/types.ts';

/**
 * What a model living on one backend keeps (Sequential, the sparse autoencoder): its buffers,
 * taken from the backend's own memory where it has one so its kernels read them without copying,
 * and handed back by dispose(); scratch buffers reused by every tape it makes.
 */
export abstract class BackendModel {
  /** Scratch buffers reused by every tape this model creates. */
  readonly pool: BufferPool;
  /** Every buffer taken from the backend for this model, returned by dispose(). */
  private readonly owned: Float32Array[] = [];

  constructor(readonly backend: Backend) {
    this.pool = new BufferPool((n) => this.allocate(n));
  }

  /** Storage for this model's tensors (parameters, gradients, optimizer state, scratch). */
  allocate(length: number): Float32Array {
    if (!this.backend.alloc) return new Float32Array(length);
    const buffer = this.backend.alloc(length);
    this.owned.push(buffer);
    return buffer;
  }

  /** Returns the backend memory this model took. The model must not be used afterwards. */
  dispose(): void {
    if (this.backend.free) for (const b of this.owned) this.backend.free(b);
    this.owned.length = 0;
  }

  /** A fresh tape on this model's backend and pool. */
  tape(gradEnabled = true): Tape {
    return new Tape(this.backend, this.pool, gradEnabled);
  }
}
