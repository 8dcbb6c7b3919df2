// Limits every spec is held to in validation, for every built-in kind (issue 21, items 5, 6, 9
// and 12): a grid too large to expand, labels (and grid values) that would give two runs one id,
// a spec nested thousands of levels deep, and sizes whose buffers cannot be allocated. Each is
// refused before any work, naming the field.
import { describe, expect, it } from 'vitest';
import { BUILTIN_PLUGIN_MODULES } from '../src/cli/builtins.ts';
import { MAX_BUFFER_FLOATS, MAX_SPEC_DEPTH, MAX_STUDY_RUNS, tooDeep } from '../src/experiment/limits.ts';
import { loadPluginModules } from '../src/experiment/plugins.ts';
import { ExperimentSpecError, runExperiment } from '../src/experiment/run.ts';
import { studyKindOf, validateSpec } from '../src/experiment/validate.ts';
import {
  tinyAutoencoderSpec,
  tinyNmfDataSpec,
  tinyNmfIdentitySpec,
  tinySaeSpec,
  tinyShallowPcaSpec,
} from './helpers/tiny-studies.ts';

await loadPluginModules([...BUILTIN_PLUGIN_MODULES]);

const dir = '/nonexistent/never-written';
type Spec = Record<string, unknown> & { datasets?: Record<string, unknown>[] };
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v));

/** The message validation refuses `raw` with (and how long it took); fails when it is accepted. */
function refusal(raw: unknown): { message: string; ms: number } {
  const t0 = performance.now();
  try {
    validateSpec(studyKindOf(raw), raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ExperimentSpecError);
    return { message: (e as Error).message, ms: performance.now() - t0 };
  }
  throw new Error(`accepted: ${JSON.stringify(raw).slice(0, 200)}`);
}

const bases: Record<string, () => Spec> = {
  'autoencoder-init': () => tinyAutoencoderSpec(dir),
  'nmf-identity': () => tinyNmfIdentitySpec(dir),
  'nmf-data': () => tinyNmfDataSpec(dir),
  sae: () => tinySaeSpec(dir),
  'shallow-pca': () => tinyShallowPcaSpec(dir),
};

describe('the tiny specs are valid (so each refusal below is the limit, not something else)', () => {
  for (const [kind, base] of Object.entries(bases))
    it(kind, () => {
      expect(validateSpec(studyKindOf(base()), base()).kind).toBe(kind);
    });
});

describe('a grid too large to expand is refused before expanding, naming the field and the count', () => {
  const huge: Record<string, (s: Spec) => { field: string; runs: number }> = {
    'autoencoder-init': (s) => {
      (s.grid as { samples: { seeds: number }[] }).samples[0].seeds = 1e9;
      return { field: 'grid.samples[0].seeds', runs: 1e9 * 3 };
    },
    'nmf-identity': (s) => {
      s.seeds = 1e9;
      return { field: 'seeds', runs: 2 * 2 * 2 * 1 * 1e9 };
    },
    'nmf-data': (s) => {
      s.seeds = 1e9;
      return { field: 'seeds', runs: 4 * 1e9 };
    },
    sae: (s) => {
      s.seeds = 1e9;
      return { field: 'seeds', runs: 2 * 1e9 };
    },
    'shallow-pca': (s) => {
      s.seeds = 1e9;
      return { field: 'seeds', runs: 2 * 1e9 };
    },
  };
  for (const [kind, make] of Object.entries(huge))
    it(kind, () => {
      const spec = bases[kind]();
      const { field, runs } = make(spec);
      const { message, ms } = refusal(spec);
      expect(message).toContain(`${field}: the grid would expand to ${runs} runs`);
      expect(message).toContain(`more than the ${MAX_STUDY_RUNS}`);
      expect(ms).toBeLessThan(1000);
    });

  it('a grid just within the limit is accepted', () => {
    const spec = bases['nmf-identity']();
    spec.seeds = MAX_STUDY_RUNS / 8; // 2 sizes × 2 ranks × 2 solvers × 1 init
    expect(() => validateSpec(studyKindOf(spec), spec)).not.toThrow();
  });
});

describe('labels (and grid values) that become run ids are unique, by every kind', () => {
  const twice = (s: Spec) => {
    const datasets = s.datasets as Record<string, unknown>[];
    datasets.push(clone(datasets[0]));
  };
  for (const kind of ['autoencoder-init', 'nmf-data', 'sae', 'shallow-pca'])
    it(`${kind}: a dataset label given twice names the label and datasets[1]`, () => {
      const spec = bases[kind]();
      twice(spec);
      const { message } = refusal(spec);
      expect(message).toMatch(/datasets\[1\]/);
      const label = ((spec.datasets as Record<string, unknown>[])[0].label ??
        (spec.datasets as Record<string, unknown>[])[0].name) as string;
      expect(message).toContain(`'${label}'`);
    });

  it('autoencoder-init: an initializer label given twice', () => {
    const spec = bases['autoencoder-init']();
    (spec.initializers as unknown[]).push({ name: 'zeros' });
    expect(refusal(spec).message).toMatch(/initializers\[3\].*'zeros'/);
  });

  it('sae: a dictionary given twice names dictionaries[1].name', () => {
    const spec = bases.sae();
    spec.dictionaries = [{ name: 'sae-standard', params: {} }, { name: 'sae-standard' }];
    const { message } = refusal(spec);
    expect(message).toContain("dictionaries[1].name: label 'sae-standard' is used twice");
  });

  it('shallow-pca: an activation given twice names model.activations[2]', () => {
    const spec = bases['shallow-pca']();
    (spec.model as { activations: string[] }).activations = ['linear', 'erf', 'linear'];
    expect(refusal(spec).message).toContain("model.activations[2]: label 'linear' is used twice");
  });

  it('any kind: grid values that repeat (sae latents [16, 16], nmf-identity sizes [8, 8]) give one id twice', () => {
    const sae = bases.sae();
    sae.latents = [16, 16];
    expect(refusal(sae).message).toMatch(/two runs of the grid have the id 'superposition__n16__k2/);
    const nmf = bases['nmf-identity']();
    nmf.sizes = [8, 8];
    expect(refusal(nmf).message).toMatch(/two runs of the grid have the id 'n8__k2/);
  });
});

/** `{ a: { a: … { a: 1 } } }`, `levels` deep, built without recursion. */
function nested(levels: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

describe(`a spec nested deeper than ${MAX_SPEC_DEPTH} levels`, () => {
  for (const kind of Object.keys(bases))
    it(`${kind}: 5,000 levels in a dataset's params are refused, naming the path`, () => {
      const spec = bases[kind]();
      if (spec.datasets) spec.datasets[0].params = { deep: nested(5000) };
      else spec.extra = nested(5000);
      const { message } = refusal(spec);
      expect(message).toContain(`nested deeper than ${MAX_SPEC_DEPTH} levels`);
      expect(message).toMatch(spec.datasets ? /datasets\[0\]\.params\.deep\.a\.a/ : /extra\.a\.a/);
    });

  it('runExperiment says so too, before structuredClone in applyOverrides', async () => {
    const spec = bases['nmf-identity']();
    spec.deep = nested(5000);
    await expect(runExperiment(spec, { quick: true })).rejects.toThrow(
      /deep\.a\.a.*nested deeper than 64 levels/,
    );
  });

  it('tooDeep: depth exactly the limit passes, one more fails; shared objects are visited once', () => {
    expect(tooDeep(nested(MAX_SPEC_DEPTH))).toBeUndefined();
    expect(tooDeep(nested(MAX_SPEC_DEPTH + 1))).toBe(`a${'.a'.repeat(MAX_SPEC_DEPTH - 1)}`);
    // A wide DAG: 2^40 paths, 40 objects.
    let dag: unknown = 1;
    for (let i = 0; i < 40; i++) dag = { l: dag, r: dag };
    expect(tooDeep(dag)).toBeUndefined();
  });
});

describe('sizes whose buffers cannot be allocated are refused at validation, naming the field', () => {
  it('sae: latents [1e8]', () => {
    const spec = bases.sae();
    spec.latents = [1e8];
    const { message } = refusal(spec);
    expect(message).toContain('latents[0]: a batch of 64 × 100000000 latent activations');
    expect(message).toContain(`more than the ${MAX_BUFFER_FLOATS}`);
  });

  it("sae: an entry's own latents", () => {
    const spec = bases.sae();
    (spec.datasets as Record<string, unknown>[])[0].latents = [16, 3e7];
    expect(refusal(spec).message).toContain('datasets[0].latents[1]:');
  });

  it('autoencoder-init: a hidden layer of 1e8 units', () => {
    const spec = bases['autoencoder-init']();
    spec.model = { sizes: [64, 1e8, 64] };
    expect(refusal(spec).message).toContain("model.sizes[1]: layer 0's kernel (64 × 100000000)");
  });

  it('shallow-pca: 2e9 training samples, K = 2e9 hidden units', () => {
    const spec = bases['shallow-pca']();
    Object.assign((spec.datasets as Record<string, unknown>[])[0], { trainCount: 2e9, k: 2e9 });
    const { message } = refusal(spec);
    expect(message).toContain('datasets[0].trainCount: 2000000000 training samples would hold');
    expect(message).toContain('datasets[0].k: the weights of 2000000000 hidden units');
  });

  it('nmf-data: W of 1e9 samples × k', () => {
    const spec = bases['nmf-data']();
    spec.grids = [{ samples: [1e9], ranks: [4] }];
    expect(refusal(spec).message).toContain('grids[0].ranks[0]: W (1000000000 samples × k = 4)');
  });
});
