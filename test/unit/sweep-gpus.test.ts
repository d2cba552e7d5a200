// Which GPUs an app-driven sweep's next trial gets on a host: free ones first, none twice unless the
// sweep shares GPUs, none at all on a host without GPUs.
import { describe, expect, it } from 'vitest';
import type { SweepSpec } from '../../src/shared/domain/sweep';
import { gpusFor } from '../../src/main/sweeps/app-driver';

const spec = (s: Partial<SweepSpec>) => ({ share_gpus: false, ...s }) as SweepSpec;

describe('gpusFor', () => {
  it('gives free GPUs, lowest index first, and none held by a running trial', () => {
    expect(gpusFor([0, 1, 2, 3], spec({}), [])).toEqual([0]);
    expect(gpusFor([0, 1, 2, 3], spec({}), [[0], [2]])).toEqual([1]);
    expect(gpusFor([0, 1, 2, 3], spec({ gpus_per_trial: 2 }), [[1, 2]])).toEqual([0, 3]);
  });

  it('says the host is full when too few are free', () => {
    expect(gpusFor([0, 1], spec({ gpus_per_trial: 2 }), [[1]])).toBeUndefined();
    expect(gpusFor([0, 1], spec({}), [[0], [1]])).toBeUndefined();
  });

  it('with shared GPUs, gives the least used', () => {
    expect(gpusFor([0, 1], spec({ share_gpus: true }), [[0], [1], [0]])).toEqual([1]);
  });

  it('pins nothing where the host has no GPUs or trials ask for none', () => {
    expect(gpusFor([], spec({}), [])).toBeNull();
    expect(gpusFor([0, 1], spec({ gpus_per_trial: 0 }), [])).toBeNull();
  });
});
