// Waiting on a condition (never a fixed sleep) and reading an engine error's code: what the
// integration tests share.
import type { CallError } from '../../src/main/rpc/dispatch';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Checks until `check` gives something other than false or undefined; fails naming what it waited for. */
export async function until<T>(what: string, check: () => Promise<T | false | undefined> | T | false | undefined, timeoutMs = 60_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== false && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await sleep(everyMs);
  }
}

/** 'OK', or the code of the engine error the call failed with. */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'OK';
  } catch (err) {
    return (err as CallError).info?.code ?? String(err);
  }
}
