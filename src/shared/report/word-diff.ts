// A word-level diff of two model outputs (LCS over words, spaces and punctuation), so a reviewer
// sees what the candidate changed. Bounded: texts too long to compare are shown as they are.

export interface DiffPart {
  op: 'same' | 'del' | 'ins';
  text: string;
}

/** Cells of the LCS table past which we stop: about 2,000 x 2,000 tokens, a few ms and 8 MB. */
export const MAX_DIFF_CELLS = 2000 * 2000;

/** Words, runs of spaces, and single punctuation marks: "Paris." vs "Paris" then differs by ".". */
export function tokenize(text: string): string[] {
  return text.match(/\s+|[\p{L}\p{N}_'’]+|[^\s\p{L}\p{N}_'’]/gu) ?? [];
}

/**
 * The parts of `before` and `after`: `same` parts are in both, `del` only in before, `ins` only in
 * after. Returns null when the changed middle is too large to compare within MAX_DIFF_CELLS.
 */
export function wordDiff(before: string, after: string, maxCells = MAX_DIFF_CELLS): DiffPart[] | null {
  const a = tokenize(before);
  const b = tokenize(after);
  // Common ends cost nothing to match and usually leave a small middle for the quadratic step.
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const n = endA - start;
  const m = endB - start;
  if (n * m > maxCells) return null;

  const parts: DiffPart[] = [];
  const push = (op: DiffPart['op'], text: string) => {
    const last = parts[parts.length - 1];
    if (last && last.op === op) last.text += text;
    else if (text) parts.push({ op, text });
  };
  push('same', a.slice(0, start).join(''));

  // Intern tokens so the inner loop compares integers, not strings.
  const ids = new Map<string, number>();
  const id = (t: string) => {
    let v = ids.get(t);
    if (v === undefined) ids.set(t, (v = ids.size));
    return v;
  };
  const x = Int32Array.from(a.slice(start, endA), id);
  const y = Int32Array.from(b.slice(start, endB), id);
  // Suffix LCS lengths; they never exceed min(n, m) <= sqrt(maxCells), so 16 bits suffice.
  const w = m + 1;
  const dp = new Uint16Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      dp[i * w + j] = x[i] === y[j] ? dp[(i + 1) * w + j + 1]! + 1 : Math.max(dp[(i + 1) * w + j]!, dp[i * w + j + 1]!);
    }
  }
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) {
      push('same', a[start + i]!);
      i++;
      j++;
    } else if (dp[(i + 1) * w + j]! >= dp[i * w + j + 1]!) push('del', a[start + i++]!);
    else push('ins', b[start + j++]!);
  }
  while (i < n) push('del', a[start + i++]!);
  while (j < m) push('ins', b[start + j++]!);
  push('same', a.slice(endA).join(''));
  return foldSeparators(parts);
}

/**
 * A lone space or punctuation mark that happens to match between two changes splits one edit into
 * confetti ("Hello there" -> "Sure thing" would keep the space); count it as changed on both sides.
 */
function foldSeparators(parts: DiffPart[]): DiffPart[] {
  const out: DiffPart[] = [];
  for (let k = 0; k < parts.length; k++) {
    const p = parts[k]!;
    const between = k > 0 && k < parts.length - 1 && parts[k - 1]!.op !== 'same' && parts[k + 1]!.op !== 'same';
    if (p.op === 'same' && between && /^(\s+|[^\s\p{L}\p{N}])$/u.test(p.text)) out.push({ op: 'del', text: p.text }, { op: 'ins', text: p.text });
    else out.push(p);
  }
  return out;
}

/** One side of a diff (`del`: the before text, `ins`: the after text), neighbouring parts merged. */
export function sideOf(parts: readonly DiffPart[], keep: 'del' | 'ins'): DiffPart[] {
  const out: DiffPart[] = [];
  for (const p of parts) {
    if (p.op !== 'same' && p.op !== keep) continue;
    const last = out[out.length - 1];
    if (last && last.op === p.op) last.text += p.text;
    else out.push({ ...p });
  }
  return out;
}

/** Word count used to explain why a diff was not drawn. */
export function countWords(text: string): number {
  return text.match(/\S+/g)?.length ?? 0;
}
