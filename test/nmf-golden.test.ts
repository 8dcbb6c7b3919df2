// The factors NMF computes, pinned: digests of W, H and the errors (little-endian float64) for
// identity problems of every solver × init, and for NMF-of-data fits on the reference backend, as the
// code computed them before src/nmf's two stacks became one (commit 1b883df). The factor cache keys
// its files by NMF_CODE_VERSION; a change that moves any of these numbers must bump it (so stored
// factors are recomputed, never mixed with new ones) and update the digests here.
import { createHash } from 'node:crypto';
import { getBackend, identityMatrix, NMF, NMF_CODE_VERSION, nmf, Rng } from 'nmfinit';
import { describe, expect, it } from 'vitest';
import { float64LittleEndian } from '../src/util/cached-file.ts';

function digest(...parts: ArrayLike<number>[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(float64LittleEndian(Float64Array.from(p)));
  return h.digest('hex').slice(0, 16);
}

/** `identity n×k solver init` → 'digest iterations converged'. */
const IDENTITY: Record<string, string> = {
  'identity 64x32 cd random': 'de13f34ffd0e75f5 30 true',
  'identity 64x32 cd nndsvd': '5a16bc060b98e87f 30 true',
  'identity 64x32 cd nndsvda': '9b71ba46d152437c 30 true',
  'identity 64x32 cd nndsvdar': 'f55b4dcf6194ba3c 30 true',
  'identity 64x32 mu random': 'f1f38ae748816e65 30 true',
  'identity 64x32 mu nndsvd': 'ec39db8643de1d08 30 true',
  'identity 64x32 mu nndsvda': 'd54b7bd0d399e2da 30 true',
  'identity 64x32 mu nndsvdar': '8f0b08765fdc7bff 30 true',
  'identity 128x64 cd random': '379dc0b41366eae3 30 true',
  'identity 128x64 cd nndsvd': '408f286aacab1629 30 true',
  'identity 128x64 cd nndsvda': '09c0eca7995d3b00 30 true',
  'identity 128x64 cd nndsvdar': 'dd4ad8b3fdac89f4 30 true',
  'identity 128x64 mu random': '1b1ca307bb98ef6d 30 true',
  'identity 128x64 mu nndsvd': 'dbebf8583a0350a6 30 true',
  'identity 128x64 mu nndsvda': 'daf6031d5f5759c9 30 true',
  'identity 128x64 mu nndsvdar': '02e3789cce1240df 30 true',
};

/** NMF options → 'digest nIter' of W, H and reconstructionErr. */
const DATA: [Record<string, unknown>, string][] = [
  [{ solver: 'cd' }, '270870a32d96d283 179'],
  [{ solver: 'mu' }, '147efeae0af3f412 150'],
  [{ solver: 'mu', betaLoss: 'kullback-leibler' }, 'a8c46ae9d3bc5a95 200'],
  [{ solver: 'cd', alphaW: 0.01, l1Ratio: 0.5 }, '926efe30d8b876ce 200'],
];

describe('the factors NMF computes', () => {
  it('belong to NMF_CODE_VERSION 2 (bump it, and these digests, when they change)', () => {
    expect(NMF_CODE_VERSION).toBe(2);
  });

  it.each(Object.keys(IDENTITY))('of the %s are bit-identical to the pinned ones', (name) => {
    const [, size, solver, init] = name.split(' ');
    const [n, k] = size.split('x').map(Number);
    const r = nmf(
      identityMatrix(n),
      { rank: k, solver: solver as 'cd', init: init as 'random' },
      Rng.seeded(0).child('golden'),
    );
    expect(`${digest(r.W, r.H, r.errors)} ${r.iterations} ${r.converged}`).toBe(IDENTITY[name]);
  });

  it.each(DATA)(
    'of data with %j are bit-identical to the pinned ones (reference backend)',
    (options, want) => {
      const rng = Rng.seeded(3);
      const [rows, cols] = [40, 30];
      const values = new Float64Array(rows * cols).map(() =>
        rng.uniform() < 0.3 ? 0 : Math.fround(rng.uniform()),
      );
      const est = new NMF(
        { nComponents: 5, ...options },
        { backend: getBackend('reference'), rng: Rng.seeded(2) },
      );
      const w = est.fitTransform({ rows, cols, values });
      expect(`${digest(w, est.components, [est.reconstructionErr])} ${est.nIter}`).toBe(want);
    },
  );
});
