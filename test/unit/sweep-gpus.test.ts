// Which GPUs an app-driven sweep's next trial gets on a host: free ones first, none twice unless the
// sweep shares GPUs, none at all on a host without GPUs.
import { describe, expect, it } from 'vitest';
import type { Host } from '../../src/shared/domain/host';
import type { SweepSpec } from '../../src/shared/domain/sweep';
import { gpusFor } from '../../src/main/sweeps/app-driver';
import type { SweepDeps } from '../../src/main/sweeps/sweep-service';

const host = { id: 'h1', name: 'gpu1' } as Host;
const depsWith = (indices: number[]) =>
  ({
    hosts: { lastProbes: () => [{ hostId: 'h1', probe: { gpus: indices.map((index) => ({ index, name: 'H200', memoryUsedMiB: 0, memoryTotalMiB: 1, utilization: 0 })) } }] },
  }) as unknown as SweepDeps;
const spec = (s: Partial<SweepSpec>) => ({ share_gpus: false, ...s }) as SweepSpec;

describe('gpusFor', () => {
  it('gives free GPUs, lowest index first, and none held by a running trial', () => {
    expect(gpusFor(depsWith([0, 1, 2, 3]), host, spec({}), [])).toEqual([0]);
    expect(gpusFor(depsWith([0, 1, 2, 3]), host, spec({}), [[0], [2]])).toEqual([1]);
    expect(gpusFor(depsWith([0, 1, 2, 3]), host, spec({ gpus_per_trial: 2 }), [[1, 2]])).toEqual([0, 3]);
  });

  it('says the host is full when too few are free', () => {
    expect(gpusFor(depsWith([0, 1]), host, spec({ gpus_per_trial: 2 }), [[1]])).toBeUndefined();
    expect(gpusFor(depsWith([0, 1]), host, spec({}), [[0], [1]])).toBeUndefined();
  });

  it('with shared GPUs, gives the least used', () => {
    expect(gpusFor(depsWith([0, 1]), host, spec({ share_gpus: true }), [[0], [1], [0]])).toEqual([1]);
  });

  it('pins nothing where the host has no GPUs or trials ask for none', () => {
    expect(gpusFor(depsWith([]), host, spec({}), [])).toBeNull();
    expect(gpusFor(depsWith([0, 1]), host, spec({ gpus_per_trial: 0 }), [])).toBeNull();
  });
});
