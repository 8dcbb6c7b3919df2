// The built-in SAE dictionary initializers. Registration is done by `nmfinit/plugins`.
import {
  type DictionaryInitializer,
  defineDictionaryInitializer,
  nmfComponentsOfData,
  Rng,
  z,
} from 'nmfinit';

/**
 * The reference's init (openai/sparse_autoencoder): PyTorch's nn.Linear(d, n) default draw,
 * U(−1/√d, 1/√d) per entry, as the atoms (the decoder is the encoder's transpose), then unit norm.
 * Their data-dependent encoder rescale is left out (they report no clear benefit from it).
 */
export const standardDictionary = defineDictionaryInitializer({
  name: 'sae-standard',
  description: 'random atoms U(−1/√d, 1/√d), unit norm; encoder = decoder transpose (Gao et al.)',
  params: z.object({}).strict(),
  random: true,
  init({ latents, inputDim, rng }) {
    const bound = 1 / Math.sqrt(inputDim);
    const atoms = new Float32Array(latents * inputDim);
    for (let i = 0; i < atoms.length; i++) atoms[i] = rng.uniformRange(-bound, bound);
    return atoms;
  },
});

/**
 * Atoms from NMF components of the training data. A rank-n NMF is out of reach when n ≫ d
 * (n = 4,096 atoms of d = 784), so NMF is run at `rank` ≤ n and atom j is component j mod rank,
 * plus (for j ≥ rank, the copies) Gaussian jitter of relative size `jitter`, so copies differ.
 */
export const nmfDictionary = defineDictionaryInitializer({
  name: 'sae-nmf',
  description: 'atoms = NMF components of the training data (jittered copies beyond the NMF rank), unit norm',
  params: z
    .object({
      rank: z.number().int().min(1).default(128).describe('NMF rank (capped at n)'),
      samples: z.number().int().min(1).default(2000).describe('training rows factored'),
      maxIter: z.number().int().min(1).default(100),
      jitter: z.number().min(0).default(0.1).describe('noise norm relative to a unit atom, for copies'),
    })
    .strict(),
  random: true,
  init({ latents, inputDim: d, data, params, rng, cacheDir, log }) {
    const rank = Math.min(params.rank, latents, d, data.rows);
    const h = nmfComponentsOfData(
      data.x,
      data.rows,
      d,
      { ...params, rank, cacheDir, log },
      // The default NMF init (nndsvda) is deterministic, so one fixed stream lets every seed share the cached factors.
      Rng.seeded(0).child('sae-nmf'),
    );
    const noise = rng.child('jitter');
    const atoms = new Float32Array(latents * d);
    const sigma = params.jitter / Math.sqrt(d);
    for (let j = 0; j < latents; j++) {
      const c = j % rank;
      let norm = 0;
      for (let q = 0; q < d; q++) norm += h[c * d + q] ** 2;
      const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
      for (let q = 0; q < d; q++) {
        atoms[j * d + q] = h[c * d + q] * inv + (j >= rank || inv === 0 ? sigma * noise.normal() : 0);
      }
    }
    return atoms;
  },
});

export const builtinDictionaries: DictionaryInitializer[] = [standardDictionary, nmfDictionary];
