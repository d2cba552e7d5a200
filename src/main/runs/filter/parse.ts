// The runs filter language, e.g. `status = succeeded and lr < 3e-4 and eval_loss.min < 1.2 and tag:baseline and recipe ~ "sft"`.
// A hand-written recursive-descent parser: errors name what was expected and the position (1-based).
import { EngineError } from '../../errors';

export type Op = '=' | '!=' | '<' | '<=' | '>' | '>=' | '~';
export type Filter =
  | { kind: 'and' | 'or'; left: Filter; right: Filter }
  | { kind: 'not'; inner: Filter }
  | { kind: 'tag'; tag: string }
  | { kind: 'compare'; field: string[]; op: Op; value: string | number; at: number; valueAt: number };

interface Token {
  type: 'word' | 'number' | 'string' | 'op' | 'lparen' | 'rparen' | 'tag' | 'end';
  text: string;
  value?: string | number;
  at: number; // 0-based offset
}

const OPS = ['!=', '<=', '>=', '=', '<', '>', '~'] as const;

function fail(source: string, at: number, message: string): never {
  const pointer = `${source}\n${' '.repeat(Math.max(0, at))}^`;
  throw new EngineError('VALIDATION_FAILED', `Filter error at position ${at + 1}: ${message}`, { position: at + 1, pointer });
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')') {
      tokens.push({ type: c === '(' ? 'lparen' : 'rparen', text: c, at: i });
      i++;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op) {
      tokens.push({ type: 'op', text: op, at: i });
      i += op.length;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      let text = '';
      while (j < src.length && src[j] !== c) {
        if (src[j] === '\\' && j + 1 < src.length) j++;
        text += src[j];
        j++;
      }
      if (j >= src.length) fail(src, i, `this quoted text never ends; close it with ${c}.`);
      tokens.push({ type: 'string', text: src.slice(i, j + 1), value: text, at: i });
      i = j + 1;
      continue;
    }
    const m = /^[A-Za-z0-9_.+\-:/@]+/.exec(src.slice(i));
    if (!m) fail(src, i, `unexpected "${c}".`);
    const text = m[0];
    if (/^tag:/i.test(text)) {
      if (text.length === 4) fail(src, i + 4, 'give a tag name after "tag:".');
      tokens.push({ type: 'tag', text, value: text.slice(4), at: i });
    } else if (/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(text)) tokens.push({ type: 'number', text, value: Number(text), at: i });
    else tokens.push({ type: 'word', text, at: i });
    i += text.length;
  }
  tokens.push({ type: 'end', text: '', at: src.length });
  return tokens;
}

export function parseFilter(source: string): Filter | null {
  if (source.trim() === '') return null;
  const tokens = tokenize(source);
  let pos = 0;
  const peek = () => tokens[pos]!;
  const next = () => tokens[pos++]!;
  const isWord = (t: Token, w: string) => t.type === 'word' && t.text.toLowerCase() === w;

  const expr = (): Filter => {
    let left = conj();
    while (isWord(peek(), 'or')) {
      next();
      left = { kind: 'or', left, right: conj() };
    }
    return left;
  };
  const conj = (): Filter => {
    let left = unary();
    while (isWord(peek(), 'and')) {
      next();
      left = { kind: 'and', left, right: unary() };
    }
    return left;
  };
  const unary = (): Filter => {
    const t = peek();
    if (isWord(t, 'not')) {
      next();
      return { kind: 'not', inner: unary() };
    }
    if (t.type === 'lparen') {
      next();
      const inner = expr();
      if (peek().type !== 'rparen') fail(source, peek().at, `expected ")" to close the "(" at position ${t.at + 1}.`);
      next();
      return inner;
    }
    if (t.type === 'tag') {
      next();
      return { kind: 'tag', tag: String(t.value) };
    }
    if (t.type !== 'word') fail(source, t.at, t.type === 'end' ? 'expected a condition, e.g. status = succeeded.' : `expected a field name, not "${t.text}".`);
    next();
    const op = peek();
    if (op.type !== 'op') fail(source, op.at, `expected an operator (= != < <= > >= ~) after "${t.text}".`);
    next();
    const v = peek();
    if (v.type !== 'word' && v.type !== 'number' && v.type !== 'string') fail(source, v.at, `expected a value after "${op.text}".`);
    next();
    if (op.text === '~' && v.type === 'number') {
      return { kind: 'compare', field: t.text.split('.'), op: '~', value: v.text, at: t.at, valueAt: v.at };
    }
    return { kind: 'compare', field: t.text.split('.'), op: op.text as Op, value: v.type === 'number' ? (v.value as number) : String(v.value ?? v.text), at: t.at, valueAt: v.at };
  };

  const tree = expr();
  if (peek().type !== 'end') {
    const t = peek();
    fail(source, t.at, isWord(t, 'and') || isWord(t, 'or') ? `expected a condition after "${t.text}".` : `expected "and", "or" or the end, not "${t.text}".`);
  }
  return tree;
}
