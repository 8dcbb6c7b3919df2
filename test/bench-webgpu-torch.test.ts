// The PyTorch side of the webgpu bench (bench/webgpu-torch.ts), the parts that need no torch: the
// ratio's direction, the check of a script's JSON, and a failing interpreter (a logged line and
// no figure, its data file removed). The scripts themselves need torch and are run by the bench.
import { readdirSync } from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';
import { numberOf, runTorchScript, sideBySide, type TorchPeer } from '../bench/webgpu-torch.ts';

const peer: TorchPeer = { python: '/bin/false', device: 'cpu', label: 'PyTorch CPU (no CUDA here)' };

describe('sideBySide', () => {
  it('records PyTorch and webgpu / PyTorch, and says which is faster by the unit', () => {
    const lines: string[] = [];
    const rate = sideBySide(peer, 'train x', 300, 200, 'samples/s', 'higher', (l) => lines.push(l));
    expect(rate.map((f) => [f.name, f.value, f.unit])).toEqual([
      ['train x, PyTorch CPU (no CUDA here)', 200, 'samples/s'],
      ['train x, webgpu / PyTorch CPU (no CUDA here)', 1.5, '×'],
    ]);
    expect(lines[0]).toContain('webgpu / PyTorch = 1.500 (webgpu 1.50× as fast)');
    // A time: twice PyTorch's seconds is half as fast.
    const time = sideBySide(peer, 'nmf', 4, 2, 's', 'lower', (l) => lines.push(l));
    expect(time[1].value).toBe(2);
    expect(lines[1]).toContain('webgpu / PyTorch = 2.000 (webgpu 0.50× as fast)');
  });
});

describe('numberOf', () => {
  it('returns a finite number and names the script and key of anything else', () => {
    expect(numberOf({ fit_s: 0.25 }, 'fit_s', 'nmf_torch.py')).toBe(0.25);
    for (const bad of [{}, { fit_s: Number.NaN }, { fit_s: '1' }, { fit_s: null }]) {
      expect(() => numberOf(bad, 'fit_s', 'nmf_torch.py')).toThrow(
        /nmf_torch\.py printed fit_s = .*expected a finite number/,
      );
    }
  });
});

describe('runTorchScript', () => {
  it('logs a failing interpreter, returns no figure and removes the data file it wrote', () => {
    const scratch = () => readdirSync(os.tmpdir()).filter((f) => f.startsWith('nmfinit-torch-')).length;
    const before = scratch();
    const lines: string[] = [];
    const res = runTorchScript(
      peer,
      'ae_torch.py',
      ['--samples', '2'],
      (l) => lines.push(l),
      new Float32Array(2 * 784),
    );
    expect(res).toBeNull();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^PyTorch CPU \(no CUDA here\): ae_torch\.py failed, no PyTorch figure: /);
    expect(scratch()).toBe(before);
  });
});
