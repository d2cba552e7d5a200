// The log view's fetching: each run's lines come from a follower of that run only, so an answer that
// arrives after the view moved to another run is dropped, and asks made while a fetch runs are not lost.
import { describe, expect, it } from 'vitest';
import { LogFollower, type FetchLines } from '../../src/renderer/features/runs/log-follower';

/** A fake engine whose answers the test releases one at a time, in any order. */
function slowEngine(logs: Record<string, string[]>) {
  const waiting: { runId: string; afterLine: number; release: () => void }[] = [];
  const fetchLines: FetchLines = (runId, afterLine, limit) =>
    new Promise((resolve) => {
      const answer = () => resolve(logs[runId]!.slice(afterLine, afterLine + limit).map((text, i) => ({ n: afterLine + i + 1, text })));
      waiting.push({ runId, afterLine, release: answer });
    });
  const until = async (what: () => boolean) => {
    for (let i = 0; i < 100 && !what(); i++) await Promise.resolve();
    if (!what()) throw new Error('the follower never asked');
  };
  /** Answers the oldest question about `runId` once the follower has asked it. */
  const answer = async (runId: string) => {
    await until(() => waiting.some((w) => w.runId === runId));
    const i = waiting.findIndex((w) => w.runId === runId);
    waiting.splice(i, 1)[0]!.release();
    for (let k = 0; k < 10; k++) await Promise.resolve(); // let the follower take the answer in
  };
  return { fetchLines, answer, waiting };
}

const quiet = { lines: () => {}, error: () => {} };

describe('the log view fetching a run', () => {
  it("drops the last run's answer when it arrives after the switch", async () => {
    const logs = { a: ['a1', 'a2', 'a3', 'a4'], b: ['b1'] };
    const engine = slowEngine(logs);
    const counts: string[] = [];
    const a = new LogFollower('a', engine.fetchLines, { lines: (n) => counts.push(`a:${n}`), error: () => {} }, 2);
    void a.fetchNew();
    await engine.answer('a'); // a1, a2: a full batch, so it asks again
    // The user opens run b while a's second batch is on its way.
    a.stop();
    const b = new LogFollower('b', engine.fetchLines, { lines: (n) => counts.push(`b:${n}`), error: () => {} }, 2);
    void b.fetchNew();
    await engine.answer('b');
    await engine.answer('a'); // a3, a4 arrive late
    expect(b.lines).toEqual(['b1']);
    expect(counts).toEqual(['a:2', 'b:1']);
    expect(engine.waiting).toEqual([]); // and a stopped follower asks nothing more
  });

  it('fetches again when asked while a fetch is on its way (lines stored meanwhile)', async () => {
    const logs = { a: ['a1'] };
    const engine = slowEngine(logs);
    const a = new LogFollower('a', engine.fetchLines, quiet, 100);
    void a.fetchNew();
    logs.a.push('a2'); // stored while the first answer (made before it) is on its way
    void a.fetchNew(); // the logAppended event
    await engine.answer('a');
    await engine.answer('a');
    expect(a.lines).toEqual(['a1', 'a2']);
  });

  it('says when a fetch fails, and clears it when the next succeeds', async () => {
    const errors: unknown[] = [];
    let fail = true;
    const a = new LogFollower(
      'a',
      async () => {
        if (fail) throw new Error('Lost the connection');
        return [{ n: 1, text: 'a1' }];
      },
      { lines: () => {}, error: (e) => errors.push(e === null ? null : (e as Error).message) },
    );
    await a.fetchNew();
    fail = false;
    await a.fetchNew();
    expect(errors).toEqual(['Lost the connection', null]);
    expect(a.lines).toEqual(['a1']);
  });

  it('tells an empty log from one not read yet: loaded once the first fetch answers, even with no lines', async () => {
    const engine = slowEngine({ empty: [] });
    let loaded = 0;
    const f = new LogFollower('empty', engine.fetchLines, { ...quiet, loaded: () => loaded++ });
    void f.fetchNew();
    expect(f.loaded).toBe(false);
    await engine.answer('empty');
    expect([f.loaded, loaded, f.lines.length]).toEqual([true, 1, 0]);
    void f.fetchNew();
    await engine.answer('empty');
    expect(loaded).toBe(1); // said once
  });
});
