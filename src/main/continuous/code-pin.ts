// The code a saved recipe trained with, found again for continuous training: the folder itself while
// it still holds exactly that code (same digest), else git's commit of it checked out into a scratch
// folder. Code that was never committed and has changed since cannot be found again: that is said,
// never replaced by whatever the folder holds now.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { CodePin } from '../../shared/domain/project';
import { EngineError } from '../errors';
import { snapshotCode } from '../runs/code-snapshot';

export interface FoundCode {
  /** The folder to launch with. */
  dir: string;
  /** How it was found, for the firing's history. */
  how: string;
  /** Removes the scratch checkout (the launch has uploaded it by then). */
  cleanup(): void;
}

const short = (s: string) => s.slice(0, 12);

export function findPinnedCode(pin: CodePin, fromRunId: string, scratchRoot: string): FoundCode {
  const retrain = `commit the code, train a run of it and save that run's recipe (tunebench project set-recipe PROJECT --from-run RUN)`;
  if (!fs.statSync(pin.dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new EngineError('CODE_PIN_LOST', `The code folder ${pin.dir} that run ${fromRunId} trained with is gone. Put it back, or ${retrain}.`);
  }
  const now = snapshotCode(pin.dir);
  if (now.digest === pin.digest) return { dir: pin.dir, how: `code in ${pin.dir} as run ${fromRunId} trained it (sha256 ${short(pin.digest)}…)`, cleanup: () => {} };
  if (!pin.commit || pin.dirty) {
    throw new EngineError(
      'CODE_PIN_LOST',
      `The code in ${pin.dir} changed since run ${fromRunId} trained with it (sha256 ${short(pin.digest)}… then, ${short(now.digest)}… now), and that code ${pin.commit ? `had changes not committed to ${short(pin.commit)}` : 'was not in git'}, so it cannot be trained again exactly. Put it back, or ${retrain}.`,
    );
  }
  const git = (args: string[], input?: Buffer) => execFileSync('git', ['-C', pin.dir, ...args], { stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 1024 * 1024 * 1024, ...(input ? { input } : {}) });
  try {
    git(['cat-file', '-e', `${pin.commit}^{commit}`]);
  } catch {
    throw new EngineError(
      'CODE_PIN_LOST',
      `Commit ${short(pin.commit)} that run ${fromRunId} trained with is no longer in the repository at ${pin.dir} (history rewritten?). Fetch it back, or ${retrain}.`,
    );
  }
  fs.mkdirSync(scratchRoot, { recursive: true });
  const dir = fs.mkdtempSync(path.join(scratchRoot, 'code-'));
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    // The commit's tree of this folder (`<commit>:./` is relative to the folder, which may be inside a larger repository).
    execFileSync('tar', ['-x', '-C', dir], { input: git(['archive', '--format=tar', `${pin.commit}:./`]), stdio: ['pipe', 'ignore', 'pipe'] });
    const restored = snapshotCode(dir);
    if (restored.digest !== pin.digest) {
      throw new EngineError(
        'CODE_PIN_LOST',
        `Commit ${short(pin.commit)} of ${pin.dir} does not hold the code run ${fromRunId} trained with (sha256 ${short(pin.digest)}… then, ${short(restored.digest)}… from the commit; a file kept out of git archives?). Put the code back, or ${retrain}.`,
      );
    }
    return { dir, how: `code of commit ${short(pin.commit)} from ${pin.dir} (the folder has changed since; sha256 ${short(pin.digest)}…)`, cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}
