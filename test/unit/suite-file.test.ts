import { describe, expect, it } from 'vitest';
import { parseSuiteFile, suiteDigest } from '../../src/main/testing/suite-file';
import { EngineError } from '../../src/main/errors';

const EXAMPLE = `name: instruct-basics
version: 1
cases:
  - {id: greet, kind: contains, input: "### Instruction:\\nSay hello.\\n### Response:\\n", expect: hello, tags: [chat], critical: true}
  - {id: heldout-1, kind: perplexity, input: "some held-out text", tags: [lm]}
  - {id: pick-1, kind: choice, input: "The sky is", options: [" blue", " green"], expect: " blue"}
`;

function refusal(text: string, file = 'suite.yaml'): { message: string; details: { file: string; line: number | null; caseId: string | null } } {
  try {
    parseSuiteFile(file, text);
  } catch (err) {
    expect(err).toBeInstanceOf(EngineError);
    expect((err as EngineError).code).toBe('SUITE_INVALID');
    return { message: (err as Error).message, details: (err as EngineError).details as never };
  }
  throw new Error('the suite was accepted');
}

describe('suite files', () => {
  it('accepts the documented shape and fills in defaults', () => {
    const s = parseSuiteFile('basics.yaml', EXAMPLE);
    expect(s.name).toBe('instruct-basics');
    expect(s.version).toBe('1');
    expect(s.cases.map((c) => [c.id, c.kind, c.line])).toEqual([
      ['greet', 'contains', 4],
      ['heldout-1', 'perplexity', 5],
      ['pick-1', 'choice', 6],
    ]);
    expect(s.cases[0]).toMatchObject({ expect: ['hello'], critical: true, weight: 1, tags: ['chat'], match: 'any', maxNewTokens: 64 });
    expect(s.cases[0]!.input).toBe('### Instruction:\nSay hello.\n### Response:\n');
  });

  it('accepts JSON with camelCase fields, and gives the same digest for the same cases', () => {
    const json = JSON.stringify(
      {
        name: 'instruct-basics',
        version: 1,
        cases: [
          { id: 'greet', kind: 'contains', input: '### Instruction:\nSay hello.\n### Response:\n', expect: 'hello', tags: ['chat'], critical: true },
          { id: 'heldout-1', kind: 'perplexity', input: 'some held-out text', tags: ['lm'] },
          { id: 'pick-1', kind: 'choice', input: 'The sky is', options: [' blue', ' green'], expect: ' blue' },
        ],
      },
      null,
      2,
    );
    expect(suiteDigest(parseSuiteFile('basics.json', json))).toBe(suiteDigest(parseSuiteFile('basics.yaml', EXAMPLE)));
    const changed = EXAMPLE.replace('expect: hello', 'expect: hi');
    expect(suiteDigest(parseSuiteFile('basics.yaml', changed))).not.toBe(suiteDigest(parseSuiteFile('basics.yaml', EXAMPLE)));
  });

  it('names the file and line of a YAML syntax error', () => {
    const r = refusal('name: x\nversion: 1\ncases:\n  - {id: a, kind: exact, input: "q", expect: [1\n');
    expect(r.message).toMatch(/^suite\.yaml:\d+: syntax error/);
    expect(r.details.line).toBeGreaterThan(0);
  });

  it('names the case of an unknown kind, a duplicate id, a bad regex and an invalid schema', () => {
    const base = 'name: s\nversion: 1\ncases:\n  - {id: ok, kind: exact, input: q, expect: a}\n';
    let r = refusal(`${base}  - {id: two, kind: fuzzy, input: q, expect: a}\n`);
    expect(r.message).toContain('suite.yaml:5 (case "two"): unknown kind "fuzzy"');
    expect(r.details).toEqual({ file: 'suite.yaml', line: 5, caseId: 'two' });
    r = refusal(`${base}  - {id: ok, kind: exact, input: q, expect: b}\n`);
    expect(r.message).toContain('suite.yaml:5 (case "ok"): duplicate case id; it was first used on line 4');
    r = refusal(`${base}  - {id: re, kind: regex, input: q, expect: "(unclosed"}\n`);
    expect(r.message).toMatch(/suite\.yaml:5 \(case "re"\): the regex does not compile/);
    r = refusal(`${base}  - {id: js, kind: json, input: q, schema: {type: bogus}}\n`);
    expect(r.message).toMatch(/suite\.yaml:5 \(case "js"\): the schema is not a valid JSON Schema/);
    r = refusal(`${base}  - {id: ch, kind: choice, input: q, options: [a, b], expect: c}\n`);
    expect(r.message).toContain('(case "ch"): expect "c" is not one of the options');
    r = refusal(`${base}  - {id: typo, kind: exact, input: q, expct: a}\n`);
    expect(r.message).toContain('(case "typo"): unknown field "expct"');
  });

  it('refuses an empty suite, a missing version, and judge cases without an enabled judge', () => {
    expect(refusal('name: s\nversion: 1\ncases: []\n').message).toContain('the suite is empty');
    expect(refusal('name: s\ncases:\n  - {id: a, kind: exact, input: q, expect: a}\n').message).toContain('version must be given');
    expect(refusal('name: s\nversion: 1\ncases:\n  - {id: j, kind: judge, input: q}\n').message).toContain('(case "j"): a judge case needs the suite to enable a judge');
    const ok = parseSuiteFile('s.yaml', 'name: s\nversion: 1\njudge: {command: [python3, judge.py], enabled: true}\ncases:\n  - {id: j, kind: judge, input: q}\n');
    expect(ok.judge).toEqual({ command: ['python3', 'judge.py'], enabled: true, timeoutSeconds: 30 });
  });

  it('refuses a file that is not a suite at all, and a JSON syntax error', () => {
    expect(refusal('just a string').message).toContain('a suite is a mapping');
    expect(refusal('{"name": "s", "version": 1, "cases": [', 'suite.json').message).toMatch(/^suite\.json:\d+: syntax error/);
    expect(refusal('a: &x [*x]\n').message).toMatch(/suite\.yaml/);
  });

  it('keeps a harness block as tasks', () => {
    const s = parseSuiteFile('h.yaml', 'name: h\nversion: 2\nharness:\n  tasks:\n    - {task: arc_easy, few_shot: 0, limit: 50}\n    - hellaswag\n');
    expect(s.harness).toEqual({
      tasks: [
        { task: 'arc_easy', fewShot: 0, limit: 50 },
        { task: 'hellaswag', fewShot: null, limit: null },
      ],
    });
    expect(s.cases).toEqual([]);
  });
});
