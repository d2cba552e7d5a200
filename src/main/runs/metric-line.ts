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
const LINE = new RegExp(
  String.raw`\{"seq": ?(${NUMBER}), ?"ts": ?(${NUMBER}), ?"step": ?(${NUMBER}|null), ?"kind": ?"([^"\\\x00-\x1f]*)", ?"m": ?\{${NAME}: ?${VALUE}((?:${PAIR.source})*)\}\}`,
  'y',
);

/** Adds one "m" pair the way parseMetricLine does; false when the reference parser must decide. */
function addPair(values: [string, number | null][], seen: string[], name: string, raw: string): boolean {
  // Object.entries puts integer-like names first, and a repeated name keeps its first place with
  // its last value: rare enough to leave both to the reference parser.
  const first = name.charCodeAt(0);
  if (first >= 48 && first <= 57) return false;
  for (const other of seen) if (other === name) return false;
  seen.push(name);
  if (name.length === 0 || name.length > 200) return true;
  const c = raw.charCodeAt(0);
  if (c === 34) {
    if (NON_FINITE.has(raw.slice(1, -1).toLowerCase())) values.push([name, null]); // kept: a NaN loss matters
  } else if (c !== 110 && c !== 116 && c !== 102) {
    const value = Number(raw);
    if (Number.isFinite(value)) values.push([name, value]);
  }
  return true;
}

/** The pairs of "m", or null when the reference parser must decide. */
function pairs(firstName: string, firstValue: string, rest: string): [string, number | null][] | null {
  const values: [string, number | null][] = [];
  const seen: string[] = [];
  if (!addPair(values, seen, firstName, firstValue)) return null;
  PAIR.lastIndex = 0;
  while (PAIR.lastIndex < rest.length) {
    const pair = PAIR.exec(rest)!; // the line's pattern checked the whole of `rest` already
    if (!addPair(values, seen, pair[1]!, pair[2]!)) return null;
  }
  return values;
}

/** Lines handed to the reference parser: tests use it to check the fast path is taken. */
export const scanStats = { referenceLines: 0 };

/**
 * Parses the line text[start, end) (without its newline). Gives the same answer as
 * parseMetricLine(text.slice(start, end)) for every input, faster for lines of the common shape.
 */
export function scanMetricLine(text: string, start: number, end: number): ParsedPoint | null {
  LINE.lastIndex = start;
  const match = end - start <= MAX_METRIC_LINE_BYTES / 4 ? LINE.exec(text) : null;
  const values = match && LINE.lastIndex === end ? pairs(match[5]!, match[6]!, match[7]!) : null;
  if (!match || !values) {
    scanStats.referenceLines++;
    return parseMetricLine(text.slice(start, end));
  }
  const seq = Number(match[1]);
  const ts = Number(match[2]);
  const step = match[3] === 'null' ? null : Number(match[3]);
  if (!Number.isSafeInteger(seq) || seq < 1 || !Number.isFinite(ts) || values.length === 0) return null;
  return { seq, ts, step: step !== null && Number.isFinite(step) ? step : null, kind: match[4]!.slice(0, 20), values };
}
