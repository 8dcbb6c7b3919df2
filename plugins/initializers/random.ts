import { type KernelShape, perTensorInitializer, type Rng, z } from 'nmfinit';

// Keras' fixed-distribution initializers (RandomNormal, RandomUniform, TruncatedNormal), with
// Keras' defaults. Unlike VarianceScaling, TruncatedNormal's stddev is the one before the cut.

/** A fan_in × fan_out kernel (row-major, as Keras) of values `fill` draws from `rng`. */
function drawn<P>(fill: (out: Float32Array, rng: Rng, p: P) => void) {
  return ({ fanIn, fanOut }: KernelShape, rng: Rng, p: P) => {
    const out = new Float32Array(fanIn * fanOut);
    fill(out, rng, p);
    return out;
  };
}

const mean = z.number().default(0).describe('mean of the values');
const stddev = z.number().positive().default(0.05).describe('standard deviation (> 0)');

export const randomNormalParams = z.object({ mean, stddev }).strict();

export const randomNormal = perTensorInitializer({
  name: 'random-normal',
  description: 'Keras RandomNormal: N(mean, stddev²), defaults mean 0, stddev 0.05',
  params: randomNormalParams,
  kernel: drawn<z.output<typeof randomNormalParams>>((out, rng, p) => rng.fillNormal(out, p.mean, p.stddev)),
});

export const truncatedNormalParams = z.object({ mean, stddev }).strict();

export const truncatedNormal = perTensorInitializer({
  name: 'truncated-normal',
  description: 'Keras TruncatedNormal: N(mean, stddev²) redrawn outside mean ± 2·stddev',
  params: truncatedNormalParams,
  kernel: drawn<z.output<typeof truncatedNormalParams>>((out, rng, p) =>
    rng.fillTruncatedNormal(out, p.mean, p.stddev, 2),
  ),
});

export const randomUniformParams = z
  .object({
    minval: z.number().default(-0.05).describe('lower bound (inclusive)'),
    maxval: z.number().default(0.05).describe('upper bound (exclusive), > minval'),
  })
  .strict()
  .refine((p) => p.minval < p.maxval && Number.isFinite(p.maxval - p.minval), {
    message: 'maxval must be greater than minval (and their difference finite)',
    path: ['maxval'],
  });

export const randomUniform = perTensorInitializer({
  name: 'random-uniform',
  description: 'Keras RandomUniform: U[minval, maxval), defaults ±0.05',
  params: randomUniformParams,
  kernel: drawn<z.output<typeof randomUniformParams>>((out, rng, p) =>
    rng.fillUniform(out, p.minval, p.maxval),
  ),
});
