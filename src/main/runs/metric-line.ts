// Metrics lines: {"seq": n, "ts": seconds, "step": n, "kind": "train", "m": {"loss": 1.23, ...}}.
// parseMetricLine is the reference (JSON.parse, then checks). scanMetricLine reads the common shape
// straight out of a chunk's text, which is most of the cost of ingest; a line of any other shape
// (other field order, escapes, nested values, repeated names, ...) goes to the reference, so both
// always agree.

export const MAX_METRIC_LINE_BYTES = 1024 * 1024;

export interface ParsedPoint {
  seq: number;
  ts: number;
  step: number | null;
  kind: string;
  values: [string, number | null][];
}

const NON_FINITE = new Set(['nan', 'inf', '-inf', 'infinity', '-infinity']);

function tooLong(line: string): boolean {
  // A UTF-8 character is 1 to 4 bytes: count bytes only when the length leaves it in doubt.
  return line.length > MAX_METRIC_LINE_BYTES || (line.length > MAX_METRIC_LINE_BYTES / 4 && Buffer.byteLength(line) > MAX_METRIC_LINE_BYTES);
}

/** One metrics line, or null when it is malformed (not JSON, missing fields, no numeric values). */
export function parseMetricLine(line: string): ParsedPoint | null {
  if (tooLong(line)) return null;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (!Number.isSafeInteger(o.seq) || (o.seq as number) < 1) return null;
  if (typeof o.m !== 'object' || o.m === null || Array.isArray(o.m)) return null;
  const ts = typeof o.ts === 'number' && Number.isFinite(o.ts) ? o.ts : null;
  if (ts === null) return null;
  const step = typeof o.step === 'number' && Number.isFinite(o.step) ? o.step : null;
  const values: [string, number | null][] = [];
  for (const [name, raw] of Object.entries(o.m as Record<string, unknown>)) {
    if (name.length === 0 || name.length > 200) continue;
    if (typeof raw === 'number' && Number.isFinite(raw)) values.push([name, raw]);
    else if (typeof raw === 'string' && NON_FINITE.has(raw.toLowerCase())) values.push([name, null]); // kept: a NaN loss matters
  }
  if (values.length === 0) return null;
  return { seq: o.seq as number, ts, step, kind: typeof o.kind === 'string' ? o.kind.slice(0, 20) : 'train', values };
}

// The common shape, as our SDK, Trainer hook and supervisor write it (Python's json.dumps, with or
// without spaces): fields in this order, a flat "m". Irregexp compiles this to machine code, which
// reads a line about 3x faster than JSON.parse builds its object.
const NUMBER = String.raw`-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?`;
const NAME = String.raw`"([^"\\\x00-\x1f]*)"`;
const VALUE = String.raw`(${NUMBER}|"[^"\\\x00-\x1f]*"|null|true|false)`;
/** Further pairs of "m" (after the first), each with its comma. */
const PAIR = new RegExp(String.raw`, ?${NAME}: ?${VALUE}`, 'y');
const LINE = new RegExp(String.raw`\{"seq": ?(${NUMBER}), ?"ts": ?(${NUMBER}), ?"step": ?(${NUMBER}|null), ?"kind": ?"([^"\\\x00-\x1f]*)", ?"m": ?\{${NAME}: ?${VALUE}((?:${PAIR.source})*)\}\}`, 'y');

/** Lines handed to the reference parser: tests use it to check the fast path is taken. */
export const scanStats = { referenceLines: 0 };

/** A decimal integer of up to 15 digits, read without Number() (exact below 2^53); NaN otherwise. */
function smallInteger(digits: string): number {
  if (digits.length > 15) return NaN;
  let v = 0;
  for (let i = 0; i < digits.length; i++) {
    const d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return NaN;
    v = v * 10 + d;
  }
  return digits.length > 0 ? v : NaN;
}

const toNumber = (text: string) => {
  const n = smallInteger(text);
  return Number.isNaN(n) ? Number(text) : n;
};

/**
 * Reads metrics lines into fields it reuses, so a million lines make no object per line (the
 * garbage they made cost as much as reading them). read() gives the same answer as parseMetricLine
 * for every input: lines of the common shape are read with LINE, all others by parseMetricLine.
 */
export class MetricLineReader {
  seq = 0;
  ts = 0;
  step: number | null = null;
  kind = 'train';
  /**
   * The line's metrics: the first `count` of names have the values at the same index (null for a
   * NaN or infinite value written as text). Counts, not array lengths, are reset per line: setting
   * an array's length is a runtime call that cost ~60 ms per million lines.
   */
  count = 0;
  readonly names: string[] = [];
  readonly values: (number | null)[] = [];
  private readonly seen: string[] = [];
  private seenCount = 0;

  /** Reads the line text[start, end) (without its newline); false when it is malformed. */
  read(text: string, start: number, end: number): boolean {
    LINE.lastIndex = start;
    const match = end - start <= MAX_METRIC_LINE_BYTES / 4 ? LINE.exec(text) : null;
    if (match && LINE.lastIndex === end && this.pairs(match[5]!, match[6]!, match[7]!)) {
      const seq = toNumber(match[1]!);
      const ts = toNumber(match[2]!);
      const step = match[3] === 'null' ? null : toNumber(match[3]!);
      if (!Number.isSafeInteger(seq) || seq < 1 || !Number.isFinite(ts) || this.count === 0) return false;
      this.seq = seq;
      this.ts = ts;
      this.step = step !== null && Number.isFinite(step) ? step : null;
      this.kind = match[4]!.length > 20 ? match[4]!.slice(0, 20) : match[4]!;
      return true;
    }
    scanStats.referenceLines++;
    const p = parseMetricLine(text.slice(start, end));
    if (!p) return false;
    this.seq = p.seq;
    this.ts = p.ts;
    this.step = p.step;
    this.kind = p.kind;
    this.count = 0;
    for (const [name, value] of p.values) this.add(name, value);
    return true;
  }

  /** The pairs of "m"; false when the reference parser must decide. */
  private pairs(firstName: string, firstValue: string, rest: string): boolean {
    this.count = 0;
    this.seenCount = 0;
    if (!this.addPair(firstName, firstValue)) return false;
    PAIR.lastIndex = 0;
    while (PAIR.lastIndex < rest.length) {
      const pair = PAIR.exec(rest)!; // the line's pattern checked the whole of `rest` already
      if (!this.addPair(pair[1]!, pair[2]!)) return false;
    }
    return true;
  }

  /** One "m" pair, kept the way parseMetricLine keeps it. */
  private addPair(name: string, raw: string): boolean {
    // Object.entries puts integer-like names first, and a repeated name keeps its first place with
    // its last value: rare enough to leave both to the reference parser.
    const first = name.charCodeAt(0);
    if (first >= 48 && first <= 57) return false;
    for (let i = 0; i < this.seenCount; i++) if (this.seen[i] === name) return false;
    this.seen[this.seenCount++] = name;
    if (name.length === 0 || name.length > 200) return true;
    const c = raw.charCodeAt(0);
    if (c === 34) {
      if (NON_FINITE.has(raw.slice(1, -1).toLowerCase())) this.add(name, null); // kept: a NaN loss matters
    } else if (c !== 110 && c !== 116 && c !== 102) {
      const value = toNumber(raw);
      if (Number.isFinite(value)) this.add(name, value);
    }
    return true;
  }

  private add(name: string, value: number | null): void {
    this.names[this.count] = name;
    this.values[this.count++] = value;
  }
}

const reader = new MetricLineReader();

/** The line text[start, end) as parseMetricLine would give it, read by a MetricLineReader. */
export function scanMetricLine(text: string, start: number, end: number): ParsedPoint | null {
  if (!reader.read(text, start, end)) return null;
  return { seq: reader.seq, ts: reader.ts, step: reader.step, kind: reader.kind, values: reader.names.slice(0, reader.count).map((name, i) => [name, reader.values[i]!]) };
}
