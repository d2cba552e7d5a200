// One at a time per key within an engine: a second start, resume or push of the same thing while the
// first is under way (a double click) is refused rather than run twice over the same files and rows.

/** Runs `work` holding `key` in `held`; refuses with `refusal()` while another holds it. Taken before anything is awaited. */
export async function oneAtATime<T>(held: Set<string>, key: string, refusal: () => Error, work: () => Promise<T>): Promise<T> {
  if (held.has(key)) throw refusal();
  held.add(key);
  try {
    return await work();
  } finally {
    held.delete(key);
  }
}
