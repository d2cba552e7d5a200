// Reads a suite file (YAML or JSON) into a normalized SuiteSpec, or refuses it with the file, the line
// and the case id of the first problem: syntax, unknown kinds or fields, duplicate ids, regexes that
// do not compile, schemas that are not JSON Schema, an empty suite.
import crypto from 'node:crypto';
import type { Node as YamlNode } from 'yaml';
import { ajvLib, yamlLib } from '../lazy';
import { SUITE_CASE_KINDS, type SuiteCase, type SuiteSpec } from '../../shared/domain/testing';
import { EngineError } from '../errors';

export const MAX_SUITE_BYTES = 32 * 1024 * 1024;
export const MAX_CASES = 100_000;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const CASE_ID = /^[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,199}$/;
const REGEX_FLAGS = /^[imsu]*$/;

/** Fields a case may carry, snake_case as in YAML, with the camelCase spellings JSON writers use. */
const CASE_FIELDS: Record<string, string> = {
  id: 'id',
  kind: 'kind',
  input: 'input',
  expect: 'expect',
  match: 'match',
  ignore_case: 'ignoreCase',
  ignoreCase: 'ignoreCase',
  case_insensitive: 'ignoreCase',
  flags: 'flags',
  schema: 'schema',
  options: 'options',
  max_perplexity: 'maxPerplexity',
  maxPerplexity: 'maxPerplexity',
  perf: 'perf',
  tags: 'tags',
  critical: 'critical',
  weight: 'weight',
  max_new_tokens: 'maxNewTokens',
  maxNewTokens: 'maxNewTokens',
  stop: 'stop',
  description: 'description',
};
const SUITE_FIELDS = new Set(['name', 'version', 'description', 'defaults', 'judge', 'harness', 'cases']);

type Raw = Record<string, unknown>;

class SuiteProblem extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly caseId: string | null,
  ) {
    super(message);
  }
}

const isObject = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);
const own = (o: Raw, k: string): unknown => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);

function stringList(v: unknown, what: string, line: number, caseId: string | null): string[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((s) => {
    if (typeof s === 'number' || typeof s === 'boolean') return String(s);
    if (typeof s !== 'string') throw new SuiteProblem(`${what} must be a string or a list of strings.`, line, caseId);
    return s;
  });
}

function num(v: unknown, what: string, line: number, caseId: string | null, check: (n: number) => boolean, rule: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) throw new SuiteProblem(`${what} must be ${rule} (got ${JSON.stringify(v)?.slice(0, 40)}).`, line, caseId);
  return v;
}

let ajvInstance: import('ajv').default | undefined;
const ajv = () => (ajvInstance ??= new (ajvLib().default)({ strict: false, allErrors: false, validateSchema: true }));

/** Throws unless `schema` is a JSON Schema Ajv can compile (draft-07 / 2019-09 style). */
export function checkJsonSchema(schema: unknown): void {
  if (!isObject(schema) && typeof schema !== 'boolean') throw new Error('a JSON Schema is an object (or true/false)');
  const checker = ajv();
  if (!checker.validateSchema(schema as object)) throw new Error(checker.errorsText(checker.errors, { dataVar: 'schema' }));
  checker.compile(schema as object);
}

interface Defaults {
  maxNewTokens: number;
  stop: string[];
}

function readCase(raw: unknown, line: number, defaults: Defaults, judgeEnabled: boolean, index: number): SuiteCase {
  if (!isObject(raw)) throw new SuiteProblem(`case ${index + 1} is not a mapping of fields.`, line, null);
  const idValue = own(raw, 'id');
  const caseId = typeof idValue === 'string' || typeof idValue === 'number' ? String(idValue) : null;
  if (caseId === null) throw new SuiteProblem(`case ${index + 1} has no id. Give every case a unique id.`, line, null);
  if (!CASE_ID.test(caseId)) throw new SuiteProblem('a case id is 1-200 letters, digits and . _ : / @ + -, starting with a letter or digit.', line, caseId);
  const fields: Raw = {};
  for (const key of Object.keys(raw)) {
    const name = Object.prototype.hasOwnProperty.call(CASE_FIELDS, key) ? CASE_FIELDS[key] : undefined;
    if (!name) throw new SuiteProblem(`unknown field "${key.slice(0, 50)}". Known fields: ${[...new Set(Object.keys(CASE_FIELDS))].join(', ')}.`, line, caseId);
    fields[name] = raw[key];
  }
  const kind = fields.kind;
  if (typeof kind !== 'string' || !(SUITE_CASE_KINDS as readonly string[]).includes(kind))
    throw new SuiteProblem(`unknown kind ${JSON.stringify(kind ?? null)?.slice(0, 40)}. Use one of: ${SUITE_CASE_KINDS.join(', ')}.`, line, caseId);
  const input = fields.input;
  if (typeof input !== 'string' || input.length === 0) throw new SuiteProblem('input must be a non-empty string (the prompt, or the text for perplexity).', line, caseId);
  const expect = stringList(fields.expect, 'expect', line, caseId);
  const options = stringList(fields.options, 'options', line, caseId);
  const flags = typeof fields.flags === 'string' ? fields.flags : '';
  const match = fields.match === undefined ? (kind === 'not-contains' ? 'any' : 'any') : fields.match;
  if (match !== 'any' && match !== 'all') throw new SuiteProblem('match must be "any" or "all".', line, caseId);
  const perfRaw = isObject(fields.perf) ? fields.perf : {};
  const ignoreCase = fields.ignoreCase ?? false;
  if (typeof ignoreCase !== 'boolean') throw new SuiteProblem('ignore_case must be true or false.', line, caseId);
  const critical = fields.critical ?? false;
  if (typeof critical !== 'boolean') throw new SuiteProblem('critical must be true or false.', line, caseId);

  const needsExpect = ['exact', 'contains', 'not-contains', 'regex', 'choice'];
  if (needsExpect.includes(kind) && expect.length === 0) throw new SuiteProblem(`a ${kind} case needs expect.`, line, caseId);
  if ((kind === 'exact' || kind === 'regex' || kind === 'choice') && expect.length !== 1) throw new SuiteProblem(`a ${kind} case takes one expect value.`, line, caseId);
  if (kind === 'regex') {
    if (!REGEX_FLAGS.test(flags)) throw new SuiteProblem(`regex flags may be i, m, s and u (got "${flags.slice(0, 20)}").`, line, caseId);
    try {
      new RegExp(expect[0]!, flags + (ignoreCase && !flags.includes('i') ? 'i' : ''));
    } catch (err) {
      throw new SuiteProblem(`the regex does not compile: ${(err as Error).message}`, line, caseId);
    }
  }
  let schema: unknown = null;
  if (kind === 'json' && fields.schema !== undefined && fields.schema !== null) {
    schema = fields.schema;
    try {
      checkJsonSchema(schema);
    } catch (err) {
      throw new SuiteProblem(`the schema is not a valid JSON Schema: ${(err as Error).message}`, line, caseId);
    }
  }
  if (kind === 'choice') {
    if (options.length < 2) throw new SuiteProblem('a choice case needs at least two options.', line, caseId);
    if (new Set(options).size !== options.length) throw new SuiteProblem('choice options must differ.', line, caseId);
    if (!options.includes(expect[0]!)) throw new SuiteProblem(`expect ${JSON.stringify(expect[0]).slice(0, 60)} is not one of the options.`, line, caseId);
  }
  if (kind === 'judge' && !judgeEnabled) throw new SuiteProblem('a judge case needs the suite to enable a judge: add `judge: {command: [...], enabled: true}` at the top of the suite.', line, caseId);
  const positive = (n: number) => n > 0;
  const maxNewTokens = num(fields.maxNewTokens, 'max_new_tokens', line, caseId, (n) => Number.isInteger(n) && n >= 1 && n <= 8192, 'a whole number from 1 to 8192') ?? defaults.maxNewTokens;
  return {
    id: caseId,
    kind: kind as SuiteCase['kind'],
    input,
    expect,
    match,
    ignoreCase,
    flags,
    schema,
    options,
    maxPerplexity: num(fields.maxPerplexity, 'max_perplexity', line, caseId, (n) => n >= 1, 'a number of at least 1') ?? null,
    perf: {
      repeats: num(own(perfRaw, 'repeats'), 'perf.repeats', line, caseId, (n) => Number.isInteger(n) && n >= 1 && n <= 100, 'a whole number from 1 to 100') ?? 5,
      minTokensPerSecond: num(own(perfRaw, 'min_tokens_per_second') ?? own(perfRaw, 'minTokensPerSecond'), 'perf.min_tokens_per_second', line, caseId, positive, 'positive') ?? null,
      maxLatencyMs: num(own(perfRaw, 'max_latency_ms') ?? own(perfRaw, 'maxLatencyMs'), 'perf.max_latency_ms', line, caseId, positive, 'positive') ?? null,
    },
    tags: [...new Set(stringList(fields.tags, 'tags', line, caseId))],
    critical,
    weight: num(fields.weight, 'weight', line, caseId, (n) => n > 0 && n <= 1e6, 'a positive number') ?? 1,
    maxNewTokens,
    stop: fields.stop === undefined ? defaults.stop : stringList(fields.stop, 'stop', line, caseId),
    line,
  };
}

function readJudge(raw: unknown): SuiteSpec['judge'] {
  if (raw === undefined || raw === null) return null;
  if (!isObject(raw)) throw new SuiteProblem('judge must be a mapping: {command: [...], enabled: true, timeout_seconds: 30}.', 0, null);
  const command = typeof raw.command === 'string' ? raw.command.split(/\s+/).filter(Boolean) : stringList(raw.command, 'judge.command', 0, null);
  if (command.length === 0) throw new SuiteProblem('judge.command must name a program (a list of arguments).', 0, null);
  const timeout = num(own(raw, 'timeout_seconds') ?? own(raw, 'timeoutSeconds'), 'judge.timeout_seconds', 0, null, (n) => n > 0 && n <= 3600, 'from 0 to 3600 seconds') ?? 30;
  return { command, enabled: own(raw, 'enabled') === true, timeoutSeconds: timeout };
}

function readHarness(raw: unknown): SuiteSpec['harness'] {
  if (raw === undefined || raw === null) return null;
  const tasksRaw = isObject(raw) ? own(raw, 'tasks') : raw;
  if (!Array.isArray(tasksRaw) || tasksRaw.length === 0) throw new SuiteProblem('harness.tasks must list lm-evaluation-harness task names.', 0, null);
  const tasks = tasksRaw.map((t) => {
    const o = typeof t === 'string' ? { task: t } : isObject(t) ? t : {};
    const task = own(o, 'task') ?? own(o, 'name');
    if (typeof task !== 'string' || !/^[A-Za-z0-9_.,-]{1,200}$/.test(task)) throw new SuiteProblem(`harness task ${JSON.stringify(task ?? null)?.slice(0, 50)} is not a task name.`, 0, null);
    const int = (v: unknown, what: string) => num(v, what, 0, null, (n) => Number.isInteger(n) && n >= 0, 'a whole number') ?? null;
    return { task, fewShot: int(own(o, 'few_shot') ?? own(o, 'num_fewshot') ?? own(o, 'fewShot'), 'harness few_shot'), limit: int(own(o, 'limit'), 'harness limit') };
  });
  return { tasks };
}

/** The canonical JSON a suite's digest is taken over: keys sorted, no line numbers. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value))
    return `{${Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

export function suiteDigest(spec: SuiteSpec): string {
  const { cases, ...rest } = spec;
  const body = canonicalJson({ ...rest, cases: cases.map(({ line: _line, ...c }) => c) });
  return `sha256:${crypto.createHash('sha256').update(body).digest('hex')}`;
}

/** Parses and checks a suite file; throws SUITE_INVALID naming the file, line and case. */
export function parseSuiteFile(fileName: string, text: string): SuiteSpec {
  const where = (line: number, caseId: string | null) => `${fileName}${line ? `:${line}` : ''}${caseId ? ` (case "${caseId}")` : ''}`;
  try {
    if (Buffer.byteLength(text) > MAX_SUITE_BYTES) throw new SuiteProblem(`the file is larger than ${MAX_SUITE_BYTES / 1024 / 1024} MB; split it into several suites.`, 0, null);
    const { isMap, isSeq, LineCounter, parseDocument } = yamlLib();
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
    if (doc.errors.length) {
      const e = doc.errors[0]!;
      const line = e.linePos?.[0]?.line ?? 0;
      throw new SuiteProblem(`syntax error: ${e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`, line, null);
    }
    const lineOf = (node: YamlNode | null | undefined) => (node?.range ? lines.linePos(node.range[0]).line : 0);
    const root = doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (!isObject(root)) throw new SuiteProblem('a suite is a mapping with name, version and cases.', 1, null);
    for (const key of Object.keys(root))
      if (!SUITE_FIELDS.has(key))
        throw new SuiteProblem(
          `unknown top-level field "${key.slice(0, 50)}". Known: ${[...SUITE_FIELDS].join(', ')}.`,
          lineOf(isMap(doc.contents) ? (doc.contents.items.find((p) => String((p.key as { value?: unknown })?.value) === key)?.key as YamlNode) : null),
          null,
        );
    const name = typeof root.name === 'string' ? root.name.trim() : '';
    if (!NAME.test(name)) throw new SuiteProblem('name must be 1-100 letters, digits, dots, dashes or underscores.', 1, null);
    const versionRaw = own(root, 'version');
    const version = typeof versionRaw === 'number' || typeof versionRaw === 'string' ? String(versionRaw).trim() : '';
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$/.test(version)) throw new SuiteProblem('version must be given: a number or a short string such as 1 or 2026-11.', 1, null);
    const defaultsRaw = isObject(root.defaults) ? root.defaults : {};
    const defaults: Defaults = {
      maxNewTokens:
        num(own(defaultsRaw, 'max_new_tokens') ?? own(defaultsRaw, 'maxNewTokens'), 'defaults.max_new_tokens', 0, null, (n) => Number.isInteger(n) && n >= 1 && n <= 8192, 'from 1 to 8192') ?? 64,
      stop: own(defaultsRaw, 'stop') === undefined ? [] : stringList(own(defaultsRaw, 'stop'), 'defaults.stop', 0, null),
    };
    const judge = readJudge(own(root, 'judge'));
    const harness = readHarness(own(root, 'harness'));
    const casesRaw = own(root, 'cases') ?? [];
    if (!Array.isArray(casesRaw)) throw new SuiteProblem('cases must be a list.', 0, null);
    if (casesRaw.length === 0 && !harness) throw new SuiteProblem('the suite is empty: add cases (or a harness block).', 0, null);
    if (casesRaw.length > MAX_CASES) throw new SuiteProblem(`the suite has ${casesRaw.length} cases; at most ${MAX_CASES} fit in one suite.`, 0, null);
    const casesNode = isMap(doc.contents) ? doc.contents.get('cases', true) : undefined;
    const items = isSeq(casesNode) ? casesNode.items : [];
    const seen = new Map<string, number>();
    const cases = casesRaw.map((raw, i) => {
      const line = lineOf(items[i] as YamlNode | undefined);
      const c = readCase(raw, line, defaults, judge?.enabled === true, i);
      const first = seen.get(c.id);
      if (first !== undefined) throw new SuiteProblem(`duplicate case id; it was first used on line ${first}.`, line, c.id);
      seen.set(c.id, line);
      return c;
    });
    const description = typeof root.description === 'string' ? root.description.slice(0, 10_000) : '';
    return { name, version, description, judge, harness, cases };
  } catch (err) {
    if (err instanceof SuiteProblem) {
      throw new EngineError('SUITE_INVALID', `${where(err.line, err.caseId)}: ${err.message}`, { file: fileName, line: err.line || null, caseId: err.caseId });
    }
    throw new EngineError('SUITE_INVALID', `${fileName}: ${(err as Error).message}`, { file: fileName, line: null, caseId: null });
  }
}
