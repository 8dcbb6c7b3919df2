import { describe, expect, it } from 'vitest';
import { withTooltips } from '../src/report/html/tooltips.ts';

describe('withTooltips', () => {
  it('gives every data mark a tooltip, in layers and facets, and leaves the input alone', () => {
    const spec = {
      facet: { column: { field: 'c' } },
      spec: {
        layer: [
          { mark: 'line' },
          { mark: { type: 'line', point: true } },
          { mark: { type: 'point', tooltip: false } },
          { mark: { type: 'rule', color: 'black' } },
        ],
      },
    };
    const copy = JSON.parse(JSON.stringify(spec));
    const out = withTooltips(spec) as typeof spec;
    const layers = out.spec.layer as { mark: unknown }[];
    expect(layers[0].mark).toEqual({ type: 'line', tooltip: true });
    expect(layers[1].mark).toEqual({ type: 'line', tooltip: true, point: { tooltip: true } });
    // A mark that says it wants no tooltip keeps its word; a rule gets none.
    expect(layers[2].mark).toEqual({ type: 'point', tooltip: false });
    expect(layers[3].mark).toEqual({ type: 'rule', color: 'black' });
    expect(spec).toEqual(copy);
  });
});
