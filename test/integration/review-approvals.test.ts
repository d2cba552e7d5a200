// The red button end to end with two data directories, a requester's and a reviewer's: a bundle
// exported, imported offline, approved with a real ed25519 key through a real ssh-agent and with an
// encrypted key file, imported back, verified as a chain and by OpenSSH's own ssh-keygen; and every
// tampering refused with an error that names what failed, with nothing recorded.
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEngine, type Engine } from '../../src/main/app';
import { CallError } from '../../src/main/rpc/dispatch';
import { readZip, writeZip } from '../../src/main/review/bundle-zip';
import { stableJson } from '../../src/main/review/statement';
import { signerFromKeyFile, signSshsig } from '../../src/main/signing/sshsig';
import type { DecisionFile } from '../../src/shared/domain/review';
import { makeDemoSuite } from '../fixtures/testing/make-suite.mjs';
import { cli, tempDir } from '../support/tunebench';
import { startAgent } from '../support/agent';

const requester = tempDir('tb-requester-');
const reviewer = tempDir('tb-reviewer-');
const keys = tempDir('tb-keys-');
const work = tempDir('tb-review-files-');
let agent: ChildProcess;
let agentSock: string;
let testRun: string;
let failingTestRun: string;
const NS = 'tunebench-approval';

const key = (name: string, passphrase = '') => {
  const file = path.join(keys, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', name, '-f', file]);
  return { file, pub: fs.readFileSync(`${file}.pub`, 'utf8').trim().split(' ').slice(0, 2).join(' ') };
};
const bob = key('bob');
const carol = key('carol', 'carol-secret');
const alice = key('alice');
const dave = key('dave');

const asRequester = () => openEngine({ dataDir: requester, agentSocket: '', checkOutputs: true });
const asReviewer = (withAgent = true) => openEngine({ dataDir: reviewer, agentSocket: withAgent ? agentSock : '', checkOutputs: true });

async function codeOf(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
    return { code: 'OK', message: '' };
  } catch (err) {
    return { code: (err as CallError).info?.code ?? 'THROWN', message: (err as Error).message };
  }
}

async function waitRun(e: Engine, id: string) {
  for (let i = 0; i < 600; i++) {
    const r = await e.call('runs.sync', { id });
    if (['SUCCEEDED', 'FAILED', 'CANCELLED', 'LOST'].includes(r.status)) return r;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`run ${id} did not end`);
}

async function exportBundle(id: string, name: string): Promise<string> {
  const out = path.join(work, name);
  const r = cli(['review', 'export', id, '--out', out, '--json'], { dataDir: requester });
  expect(r.code, r.stderr).toBe(0);
  return out;
}

/** Re-signs a changed statement with a real key: a signature that verifies, over a lie. */
async function resign(file: DecisionFile, change: (s: any) => void, keyFile: string): Promise<string> {
  const statement = JSON.parse(file.statement);
  change(statement);
  const payload = stableJson(statement);
  const signature = await signSshsig(Buffer.from(payload), NS, signerFromKeyFile(keyFile));
  return JSON.stringify({ ...file, statement: payload, signature });
}

beforeAll(async () => {
  agentSock = path.join(keys, 'agent.sock');
  agent = await startAgent(agentSock);
  execFileSync('ssh-add', [bob.file], { env: { ...process.env, SSH_AUTH_SOCK: agentSock }, stdio: 'ignore' });

  // The requester trains a candidate, proposes it as alice, and tests it against its base model.
  expect(cli(['whoami', '--set', 'alice@example.com'], { dataDir: requester }).code).toBe(0);
  const e = asRequester();
  try {
    await e.call('projects.create', { name: 'chat-sft' });
    await e.call('hosts.configure', { ref: 'local', python: '/usr/bin/python3' });
    const run = await e.call('runs.launch', { project: 'chat-sft', host: 'local', recipe: 'demo-lora-torch', params: { pretrain_steps: 60, steps: 20 } });
    expect((await waitRun(e, run.id)).status).toBe('SUCCEEDED');
    await e.call('candidates.propose', { run: run.id, reason: 'best eval loss' });
    const spec = makeDemoSuite(24);
    await e.call('suites.add', { project: 'chat-sft', fileName: 'demo.json', text: JSON.stringify({ ...spec, cases: spec.cases.map(({ line: _l, ...c }) => c) }) });
    const t = await e.call('tests.start', { project: 'chat-sft', candidate: run.id, suite: 'demo', baseline: 'base' });
    expect((await waitRun(e, t.id)).status).toBe('SUCCEEDED');
    testRun = t.id;
    // A test run that FAILS: the same models, under a bar no demo model clears.
    await e.call('tests.setPolicy', { project: 'chat-sft', policy: { metrics: { pass_rate: { threshold: 0.999, minAbsoluteChange: null, minRelativeChange: null, greaterIsBetter: true } } } });
    const f = await e.call('tests.start', { project: 'chat-sft', candidate: run.id, suite: 'demo', baseline: 'base' });
    expect((await waitRun(e, f.id)).status).toBe('SUCCEEDED');
    failingTestRun = f.id;
    expect((await e.call('tests.get', { id: f.id })).verdict).toBe('FAIL');
    await e.call('tests.setPolicy', { project: 'chat-sft', policy: { metrics: {} } });
  } finally {
    e.close();
  }
  const signers = path.join(work, 'allowed_signers');
  fs.writeFileSync(
    signers,
    [`bob@example.com namespaces="${NS}" ${bob.pub}`, `carol@example.com namespaces="${NS}" ${carol.pub}`, `alice@example.com namespaces="${NS}" ${alice.pub}`, '# dave is not listed'].join('\n') +
      '\n',
  );
  const set = cli(['project', 'set-signers', 'chat-sft', '--file', signers, '--json'], { dataDir: requester });
  expect(set.code, set.stderr).toBe(0);
  expect(set.json().signers).toHaveLength(3);
}, 240_000);

afterAll(() => {
  agent?.kill();
});

describe('review bundles and signed approvals', () => {
  let first: DecisionFile;

  it('approves through the SSH agent on a machine with no hosts, and the requester records it', async () => {
    const zip = await exportBundle(testRun, 'bundle-1.zip');
    const imported = cli(['review', 'import', zip, '--json'], { dataDir: reviewer });
    expect(imported.code, imported.stderr).toBe(0);
    const bundle = imported.json();
    expect(bundle).toMatchObject({ origin: 'imported', projectName: 'chat-sft', testRunId: testRun });
    const e = asReviewer();
    try {
      expect((await e.call('hosts.list', {})).filter((h) => h.kind === 'ssh')).toHaveLength(0);
      const { report } = await e.call('reviews.get', { bundle: bundle.id });
      const override = report.comparison.verdict === 'PASS' ? {} : { override: 'the demo model is a stand-in' };
      expect((await codeOf(e.call('reviews.decide', { bundle: bundle.id, decision: 'approve', comment: 'ok', waivers: [], confirm: 'chat sft', ...override }))).code).toBe('DECISION_REFUSED');
      const r = await e.call('reviews.decide', { bundle: bundle.id, decision: 'approve', comment: 'Looks good to me.', waivers: [], confirm: 'chat-sft', ...override });
      expect(r.reviewer).toBe('bob@example.com');
      first = r.file;
    } finally {
      e.close();
    }
    const decision = path.join(work, 'decision-1.json');
    fs.writeFileSync(decision, JSON.stringify(first));
    const rec = cli(['approval', 'import', decision, '--json'], { dataDir: requester });
    expect(rec.code, rec.stderr).toBe(0);
    expect(rec.json()).toMatchObject({ seq: 1, previous: null, decision: 'approve', reviewer: 'bob@example.com' });
  });

  it('signs a second decision with an encrypted key file, chained to the first', async () => {
    const zip = await exportBundle(testRun, 'bundle-2.zip');
    const e = asReviewer(false);
    try {
      const b = await e.call('reviews.importFile', { file: zip });
      const base = { bundle: b.id, decision: 'request-changes' as const, comment: 'Add held-out cases.', waivers: [], confirm: 'chat-sft', keyFile: carol.file };
      expect((await codeOf(e.call('reviews.decide', base))).code).toBe('PASSPHRASE_REQUIRED');
      expect((await codeOf(e.call('hosts.unlockKey', { keyFile: carol.file, passphrase: 'wrong' }))).code).toBe('AUTH_FAILED');
      await e.call('hosts.unlockKey', { keyFile: carol.file, passphrase: 'carol-secret' });
      const r = await e.call('reviews.decide', base);
      expect(r.reviewer).toBe('carol@example.com');
      const again = asRequester();
      try {
        const a = await again.call('approvals.import', { text: JSON.stringify(r.file) });
        expect(a).toMatchObject({ seq: 2, decision: 'request-changes', reviewer: 'carol@example.com' });
        expect(a.previous).toBe((await again.call('approvals.list', { project: 'chat-sft' }))[0]!.digest);
      } finally {
        again.close();
      }
    } finally {
      e.close();
    }
    const v = cli(['approval', 'verify', '--project', 'chat-sft', '--chain', '--json'], { dataDir: requester });
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.json()).toMatchObject({ ok: true });
    expect(v.json().links).toHaveLength(2);
    const one = v.json().links[1].digest as string;
    const shown = cli(['approval', 'show', one.slice(0, 20), '--json'], { dataDir: requester });
    expect(shown.json()).toMatchObject({ digest: one, decision: 'request-changes', seq: 2 });
    expect(cli(['approval', 'verify', one.slice(0, 20)], { dataDir: requester }).code).toBe(0);
  });

  it("exports files that OpenSSH's own ssh-keygen verifies, and rejects once a byte changes", () => {
    const list = cli(['approval', 'list', '--project', 'chat-sft', '--json'], { dataDir: requester }).json();
    for (const a of list) {
      const dir = path.join(work, `export-${a.seq}`);
      const r = cli(['approval', 'export', a.digest, '--out', dir, '--json'], { dataDir: requester });
      expect(r.code, r.stderr).toBe(0);
      const verify = (message: Buffer) =>
        spawnSync('ssh-keygen', ['-Y', 'verify', '-f', path.join(dir, 'allowed_signers'), '-I', a.reviewer, '-n', NS, '-s', path.join(dir, 'approval.json.sig')], { input: message, encoding: 'utf8' });
      const good = verify(fs.readFileSync(path.join(dir, 'approval.json')));
      expect(good.status, good.stderr + good.stdout).toBe(0);
      expect(good.stdout).toContain(`Good "${NS}" signature for ${a.reviewer}`);
      const tampered = fs.readFileSync(path.join(dir, 'approval.json'));
      tampered.writeUInt8(tampered.readUInt8(40) ^ 1, 40);
      expect(verify(tampered).status).not.toBe(0);
    }
  });

  it('refuses a changed, missing or extra bundle file, naming it, and stores nothing', async () => {
    const zip = await exportBundle(testRun, 'bundle-3.zip');
    const entries = await readZip(zip);
    const variants: [string, (m: Map<string, Buffer>) => void, RegExp][] = [
      [
        'changed',
        (m) => {
          const b = Buffer.from(m.get('report.html')!);
          b.writeUInt8(b.readUInt8(100) ^ 1, 100);
          m.set('report.html', b);
        },
        /changed: report\.html/,
      ],
      ['missing', (m) => m.delete('records/baseline.jsonl'), /missing: records\/baseline\.jsonl/],
      ['extra', (m) => m.set('notes.txt', Buffer.from('hi')), /not in the manifest: notes\.txt/],
      [
        'manifest',
        (m) => {
          const b = Buffer.from(m.get('manifest.json')!);
          b.writeUInt8(b.readUInt8(20) ^ 1, 20);
          m.set('manifest.json', b);
        },
        /manifest|format|not JSON/,
      ],
    ];
    const before = cli(['review', 'list', '--json'], { dataDir: reviewer }).json().length;
    for (const [name, change, message] of variants) {
      const m = new Map(entries);
      change(m);
      const file = path.join(work, `tampered-${name}.zip`);
      await writeZip(
        file,
        [...m].map(([p, data]) => ({ path: p, data })),
      );
      const r = cli(['review', 'import', file, '--json'], { dataDir: reviewer });
      expect(r.code, name).toBe(2);
      expect(r.errorJson().error.code, name).toMatch(/BUNDLE_INVALID|BUNDLE_TOO_NEW/);
      expect(r.errorJson().error.message, name).toMatch(message);
    }
    expect(cli(['review', 'list', '--json'], { dataDir: reviewer }).json().length).toBe(before);
  });

  it('refuses a bundle from a newer format version', async () => {
    const entries = await readZip(await exportBundle(testRun, 'bundle-4.zip'));
    const manifest = JSON.parse(entries.get('manifest.json')!.toString());
    entries.set('manifest.json', Buffer.from(JSON.stringify({ ...manifest, version: 99 })));
    const file = path.join(work, 'future.zip');
    await writeZip(
      file,
      [...entries].map(([p, data]) => ({ path: p, data })),
    );
    const r = cli(['review', 'import', file, '--json'], { dataDir: reviewer });
    expect(r.errorJson().error).toMatchObject({ code: 'BUNDLE_TOO_NEW', message: expect.stringContaining('version 99') });
  });

  it('refuses tampered decisions, foreign keys, other models, self-approval and a FAIL without override; records none', async () => {
    const e = asRequester();
    try {
      const before = (await e.call('approvals.list', { project: 'chat-sft' })).length;
      const head = (await e.call('approvals.list', { project: 'chat-sft' })).at(-1)!.digest;
      const current = async (change: (s: any) => void, keyFile: string) =>
        resign(
          first,
          (s) => {
            s.predicate.previous = head;
            change(s);
          },
          keyFile,
        );
      const cases: [string, () => Promise<string>, string, RegExp][] = [
        ['a byte of the statement', async () => JSON.stringify({ ...first, statement: first.statement.replace('Looks good', 'Looks gooD') }), 'SIGNATURE_INVALID', /signature does not verify/],
        [
          'a byte of the signature',
          async () => {
            const lines = first.signature.split('\n');
            lines[3] = (lines[3]!.startsWith('A') ? 'B' : 'A') + lines[3]!.slice(1);
            return JSON.stringify({ ...first, signature: lines.join('\n') });
          },
          'SIGNATURE_INVALID',
          /signature/,
        ],
        [
          'a key not in allowed signers',
          () =>
            current((s) => {
              s.predicate.reviewer = { id: 'dave@example.com', keyFingerprint: signerFromKeyFile(dave.file).fingerprint, keyType: 'ssh-ed25519' };
            }, dave.file),
          'SIGNER_NOT_ALLOWED',
          /is not allowed to sign for dave@example\.com/,
        ],
        [
          'a listed key signing for another principal',
          () =>
            current((s) => {
              s.predicate.reviewer = { id: 'carol@example.com', keyFingerprint: signerFromKeyFile(bob.file).fingerprint, keyType: 'ssh-ed25519' };
            }, bob.file),
          'SIGNER_NOT_ALLOWED',
          /not allowed to sign for carol@example\.com/,
        ],
        [
          'another model',
          () =>
            current((s) => {
              s.predicate.reviewer.keyFingerprint = signerFromKeyFile(bob.file).fingerprint;
              s.subject[0].digest.sha256 = 'f'.repeat(64);
            }, bob.file),
          'DECISION_REFUSED',
          /is about model ffffffff/,
        ],
        [
          'own candidate',
          () =>
            current((s) => {
              s.predicate.reviewer = { id: 'alice@example.com', keyFingerprint: signerFromKeyFile(alice.file).fingerprint, keyType: 'ssh-ed25519' };
              s.predicate.decision = 'approve';
            }, alice.file),
          'DECISION_REFUSED',
          /alice@example\.com proposed this candidate/,
        ],
        [
          'a stale chain',
          () =>
            resign(
              first,
              (s) => {
                s.predicate.comment = 'late';
              },
              bob.file,
            ),
          'DECISION_REFUSED',
          /another decision was recorded since/,
        ],
      ];
      for (const [name, make, code, message] of cases) {
        const r = await codeOf(e.call('approvals.import', { text: await make() }));
        expect(r.code, name).toMatch(new RegExp(`^(${code})$`));
        expect(r.message, name).toMatch(message);
      }
      expect((await e.call('approvals.list', { project: 'chat-sft' })).length).toBe(before);
    } finally {
      e.close();
    }
    // A FAIL approved without an override reason: refused before signing, and on import when signed anyway.
    const zip = await exportBundle(failingTestRun, 'bundle-fail.zip');
    const rv = asReviewer();
    try {
      const b = await rv.call('reviews.importFile', { file: zip });
      const refused = await codeOf(rv.call('reviews.decide', { bundle: b.id, decision: 'approve', comment: '', waivers: [], confirm: 'chat-sft' }));
      expect(refused).toMatchObject({ code: 'DECISION_REFUSED', message: expect.stringContaining('needs a written override reason') });
      const signed = await rv.call('reviews.decide', { bundle: b.id, decision: 'approve', comment: '', waivers: [], confirm: 'chat-sft', override: 'accepted risk' });
      const sneaky = await resign(
        signed.file,
        (s) => {
          s.predicate.override = null;
        },
        bob.file,
      );
      const rq = asRequester();
      try {
        const r = await codeOf(rq.call('approvals.import', { text: sneaky }));
        expect(r).toMatchObject({ code: 'DECISION_REFUSED', message: expect.stringContaining('override') });
        // With its override, the same decision is recorded and shows the reason.
        const ok = await rq.call('approvals.import', { text: JSON.stringify(signed.file) });
        expect(ok.override).toBe('accepted risk');
      } finally {
        rq.close();
      }
    } finally {
      rv.close();
    }
  });

  it('counts distinct approvers against the two-person rule and the required suites', async () => {
    const e = asRequester();
    try {
      expect(await e.call('approvals.status', { testRun })).toMatchObject({ approved: true, approvers: ['bob@example.com'], required: 1 });
      await e.call('approvals.setRules', { project: 'chat-sft', requiredApprovals: 2 });
      expect(await e.call('approvals.status', { testRun })).toMatchObject({ approved: false, summary: '1 of 2 approval(s).' });
      await e.call('approvals.setRules', { project: 'chat-sft', requiredApprovals: 1 });
      await e.call('tests.setPolicy', { project: 'chat-sft', policy: { requiredSuites: ['safety'] } });
      expect((await e.call('approvals.status', { testRun })).missingSuites).toEqual(['safety']);
      await e.call('tests.setPolicy', { project: 'chat-sft', policy: { requiredSuites: [] } });
    } finally {
      e.close();
    }
  });

  it('says which link of the chain is broken when one is removed or two are reordered', () => {
    for (const [name, edit, message] of [
      [
        'removed',
        (db: Database.Database) => {
          db.prepare('DELETE FROM approvals WHERE seq = 2').run();
          db.prepare('UPDATE approvals SET seq = 2 WHERE seq = 3').run();
        },
        /#2 .*a decision was removed, added or reordered/,
      ],
      [
        'reordered',
        (db: Database.Database) => {
          db.prepare('UPDATE approvals SET seq = -1 WHERE seq = 1').run();
          db.prepare('UPDATE approvals SET seq = 1 WHERE seq = 2').run();
          db.prepare('UPDATE approvals SET seq = 2 WHERE seq = -1').run();
        },
        /#1 .*a decision was removed, added or reordered/,
      ],
    ] as const) {
      const copy = tempDir(`tb-chain-${name}-`);
      fs.cpSync(requester, copy, { recursive: true });
      const db = new Database(path.join(copy, 'tunebench.db'));
      edit(db);
      db.close();
      const v = cli(['approval', 'verify', '--project', 'chat-sft', '--chain'], { dataDir: copy });
      expect(v.code, name).toBe(1);
      expect(v.stdout, name).toMatch(message);
      expect(v.stdout).toContain('FAILED');
    }
    expect(cli(['approval', 'verify', '--project', 'chat-sft', '--chain'], { dataDir: requester }).code).toBe(0);
  });
});
