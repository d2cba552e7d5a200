// Markers of a real run on the local host, through the CLI: the supervisor's log clock places a
// loss spike in the log and a traceback on the loss curve.
import { describe, expect, it } from 'vitest';
import { cli, tempDir } from '../support/tunebench';

describe('run markers', () => {
  it('lists each marker where it was found and, from the log clock, where it is in the other view', () => {
    const dir = tempDir();
    expect(cli(['project', 'create', 'p'], { dataDir: dir }).code).toBe(0);
    // 40 steps over ~2.4 s with a spike at step 30, then a traceback.
    const program =
      "import tunebench, time; [(tunebench.log({'loss': 50.0 if i == 30 else 2.0 + 0.001 * (i % 5)}, step=i), print('step', i, flush=True), time.sleep(0.06)) for i in range(1, 41)]; 1/0";
    const launched = cli(['run', 'launch', '--project', 'p', '--host', 'local', '--recipe', 'custom', '--param', `command=python3 -c "${program}"`, '--json'], { dataDir: dir });
    expect(launched.code, launched.stderr).toBe(0);
    const id = launched.json().id as string;
    expect(cli(['run', 'wait', id, '--timeout', '60'], { dataDir: dir }).code).toBe(1); // it failed, as written
    const markers = cli(['run', 'markers', id, '--json'], { dataDir: dir }).json() as { kind: string; from: string; line: number | null; step: number | null }[];
    const spike = markers.find((m) => m.kind === 'loss_spike')!;
    const traceback = markers.find((m) => m.kind === 'traceback')!;
    expect(spike).toMatchObject({ from: 'metrics', step: 30 });
    expect(spike.line).toBeGreaterThanOrEqual(1); // the clock ticks once a second: within ~17 lines of "step 30"
    expect(spike.line).toBeLessThanOrEqual(31);
    expect(traceback).toMatchObject({ from: 'log', line: 41 });
    expect(traceback.step).toBeGreaterThanOrEqual(23); // written after step 40, within the clock's second
    expect(traceback.step).toBeLessThanOrEqual(40);
    const text = cli(['run', 'markers', id], { dataDir: dir }).stdout;
    expect(text).toMatch(new RegExp(`loss_spike\\s+~${spike.line}\\s+30\\s`));
    expect(text).toMatch(new RegExp(`traceback\\s+41\\s+~${traceback.step}\\s`));
  }, 90_000);
});
