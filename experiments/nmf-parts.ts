// Lee & Seung's question, on data: does NMF of images learn parts (strokes, pieces of garments)
// or whole images, which init gets there, and how does the test error fall as training samples
// grow? MNIST and Fashion-MNIST at 200 … 8,000 and all 60,000 training images, k = 64, NNDSVDa;
// and random against NNDSVDa at k = 16 and 36, as the notes compare on faces.
//
//   npx tsx experiments/nmf-parts.ts              the whole study (long: 60,000 × 784 fits)
//   npx tsx experiments/nmf-parts.ts --quick      the same pipeline small, under a minute
//
// Your own images instead (a folder of PNG/PGM/JPEG files, flat or one subfolder per class):
//   NMF_PARTS_IMAGES=~/faces NMF_PARTS_RESIZE=64x64 npx tsx experiments/nmf-parts.ts
// (NMF_PARTS_RESIZE is optional when every image has the same size; 20% is held out for test.)
import { defineExperiment, runIfMain } from 'nmfinit';

const images = process.env.NMF_PARTS_IMAGES;
const resize = process.env.NMF_PARTS_RESIZE?.split('x').map(Number);

const builtin = {
  name: 'nmf-parts',
  datasets: [{ name: 'mnist' }, { name: 'fashion-mnist' }],
  grids: [
    { samples: [200, 500, 1000, 2000, 4000, 8000, 'all'], ranks: [64], inits: ['nndsvda'] },
    { samples: [200, 500, 1000, 2000, 4000, 8000, 'all'], ranks: [16, 36], inits: ['random', 'nndsvda'] },
  ],
  outputs: { dir: 'results/nmf-parts' },
} as const;

const folder = {
  name: 'nmf-parts-images',
  datasets: [
    {
      name: 'image-folder',
      label: 'images',
      params: { dir: images ?? '', testFraction: 0.2, ...(resize ? { resize } : {}) },
    },
  ],
  grids: [
    { samples: [100, 200, 'all'], ranks: [64], inits: ['nndsvda'] },
    { samples: [100, 200, 'all'], ranks: [16, 36], inits: ['random', 'nndsvda'] },
  ],
  outputs: { dir: 'results/nmf-parts-images' },
} as const;

export const spec = defineExperiment({
  kind: 'nmf-data',
  description:
    'NMF of image data: are the k basis images parts or whole images, how do random and NNDSVDa inits compare, and how does the test MSE fall with training samples?',
  solver: 'cd',
  maxIter: 200,
  tol: 1e-4,
  ...(images ? folder : builtin),
});

await runIfMain(import.meta.url, spec);
