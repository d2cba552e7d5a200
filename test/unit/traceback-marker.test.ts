// A failed run's traceback marker says the exception it ended with, as Python printed it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import { Ingestor } from '../../src/main/runs/ingest';
import { tracebackEnd } from '../../src/main/runs/markers';
import { tempDir } from '../support/tunebench';

let engine: Engine;
let ingestor: Ingestor;
let projectId: string;
let hostId: string;
let next = 0;

function newRun(): string {
  const id = `01ARZ3NDEKTSV4RRFFQ69G5F${String(next++).padStart(2, '0')}`;
  engine.db.prepare("INSERT INTO runs (id, project_id, host_id, recipe, params, status, remote_dir, created_at) VALUES (?, ?, ?, 'custom', '{}', 'RUNNING', '/x', 0)").run(id, projectId, hostId);
  return id;
}

function ingest(runId: string, text: string) {
  const file = 'logs/output.log';
  const cursor = ingestor.cursor(runId, file) ?? ingestor.startEpoch(runId, file, 'f', undefined);
  ingestor.store(runId, file, 'log', cursor, Buffer.from(text), false);
}

const tracebacks = async (runId: string) => (await engine.call('runs.markers', { id: runId })).filter((m) => m.kind === 'traceback').map((m) => [m.line, m.detail]);

beforeAll(async () => {
  engine = openEngine({ dataDir: tempDir() });
  projectId = (await engine.call('projects.create', { name: 'p' })).id;
  hostId = (await engine.call('hosts.list', {}))[0]!.id;
  ingestor = new Ingestor(engine.db);
});
afterAll(() => engine.close());

describe('the traceback marker', () => {
  it('shows the exception line, not "Traceback (most recent call last):"', async () => {
    const run = newRun();
    ingest(
      run,
      [
        'step 1 loss 2.3',
        'Traceback (most recent call last):',
        '  File "train.py", line 12, in <module>',
        '    main()',
        '  File "train.py", line 9, in main',
        '    raise ValueError("learning rate must be positive, got -0.1")',
        'ValueError: learning rate must be positive, got -0.1',
        'after',
      ].join('\n') + '\n',
    );
    expect(await tracebacks(run)).toEqual([[2, 'ValueError: learning rate must be positive, got -0.1']]);
  });

  it('finds the exception line when it arrives in a later read than the header', async () => {
    const run = newRun();
    ingest(run, 'Traceback (most recent call last):\n  File "a.py", line 1, in <module>\n');
    ingest(run, '    import missing_module\n');
    ingest(run, "ModuleNotFoundError: No module named 'missing_module'\n");
    expect(await tracebacks(run)).toEqual([[1, "ModuleNotFoundError: No module named 'missing_module'"]]);
  });

  it('gives each traceback of a chained exception its own exception line', async () => {
    const run = newRun();
    ingest(
      run,
      [
        'Traceback (most recent call last):',
        '  File "a.py", line 2, in <module>',
        "KeyError: 'lr'",
        '',
        'During handling of the above exception, another exception occurred:',
        '',
        'Traceback (most recent call last):',
        '  File "a.py", line 4, in <module>',
        'RuntimeError: no learning rate',
      ].join('\n') + '\n',
    );
    expect(await tracebacks(run)).toEqual([
      [1, "KeyError: 'lr'"],
      [7, 'RuntimeError: no learning rate'],
    ]);
  });

  it("reads a torchrun worker's prefixed lines, skipping other workers' lines in between", async () => {
    const run = newRun();
    ingest(
      run,
      [
        '[default0]:Traceback (most recent call last):',
        '[default1]:step 3 loss 2.1',
        '[default0]:  File "train.py", line 5, in <module>',
        '[default0]:torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB',
      ].join('\n') + '\n',
    );
    expect(await tracebacks(run)).toEqual([[1, 'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB']]);
    expect(tracebackEnd('[rank0]: Traceback (most recent call last):', '[rank0]:   File "x.py", line 1')).toBeUndefined();
    expect(tracebackEnd('[rank0]: Traceback (most recent call last):', '[rank0]: SystemExit: 2')).toBe('SystemExit: 2');
  });

  it("reads an exception group's own line (Python 3.11), not its members'", async () => {
    const run = newRun();
    // As Python 3.12 prints `raise ExceptionGroup('two bad things', [ValueError('a'), TypeError('b')])`.
    ingest(
      run,
      [
        'epoch 3',
        '  + Exception Group Traceback (most recent call last):',
        '  |   File "train.py", line 3, in <module>',
        '  | ExceptionGroup: two bad things (2 sub-exceptions)',
        '  +-+---------------- 1 ----------------',
        '    | ValueError: a',
        '    +---------------- 2 ----------------',
        '    | TypeError: b',
        '    +------------------------------------',
        '',
      ].join('\n'),
    );
    expect(await tracebacks(run)).toEqual([[2, 'ExceptionGroup: two bad things (2 sub-exceptions)']]);
  });

  it('keeps the header while the exception line has not come (a log cut short)', async () => {
    const run = newRun();
    ingest(run, 'Traceback (most recent call last):\n  File "a.py", line 1, in <module>\n');
    expect(await tracebacks(run)).toEqual([[1, 'Traceback (most recent call last):']]);
  });
});

describe('a traceback marker stored with its header (before markers said the exception)', () => {
  it('is read on from its line when the markers are asked for', async () => {
    const run = newRun();
    ingest(run, 'Traceback (most recent call last):\n  File "a.py", line 1, in <module>\nRuntimeError: CUDA error: device-side assert triggered\n');
    // As an older version stored it: the header as the marker's detail.
    engine.db.prepare("UPDATE run_markers SET detail = 'Traceback (most recent call last):' WHERE run_id = ?").run(run);
    expect(await tracebacks(run)).toEqual([[1, 'RuntimeError: CUDA error: device-side assert triggered']]);
  });
});
