// Each project's approval rules: who may sign (an OpenSSH allowed_signers file, kept verbatim so
// `ssh-keygen -Y verify` reads the same text), whether the proposer may approve their own candidate,
// and how many approvals from distinct reviewers a candidate needs (the two-person rule).
import type Database from 'better-sqlite3';
import type { ApprovalRules } from '../../shared/domain/review';
import { EngineError } from '../errors';
import { parseAllowedSigners } from '../signing/allowed-signers';
import { fingerprintOf } from '../signing/sshsig';

interface RulesRow {
  allowed_signers: string;
  forbid_self_approval: number;
  required_approvals: number;
}

export class ApprovalRulesStore {
  constructor(private readonly db: Database.Database) {}

  get(projectId: string): ApprovalRules {
    const row = this.db.prepare<[string], RulesRow>('SELECT allowed_signers, forbid_self_approval, required_approvals FROM approval_rules WHERE project_id = ?').get(projectId);
    const text = row?.allowed_signers ?? '';
    const signers = text.trim() ? parseAllowedSigners(text) : [];
    return {
      allowedSigners: text,
      signers: signers.map((s) => ({ principals: s.principals.join(','), keyType: s.keyType, fingerprint: fingerprintOf(s.publicKey), namespaces: s.namespaces ? s.namespaces.join(',') : null })),
      forbidSelfApproval: row ? row.forbid_self_approval === 1 : true,
      requiredApprovals: row?.required_approvals ?? 1,
    };
  }

  set(projectId: string, changes: { allowedSigners?: string; forbidSelfApproval?: boolean; requiredApprovals?: number }): ApprovalRules {
    const current = this.get(projectId);
    const text = changes.allowedSigners ?? current.allowedSigners;
    if (changes.allowedSigners !== undefined) {
      try {
        if (parseAllowedSigners(text).length === 0) throw new Error('it lists no key');
      } catch (err) {
        throw new EngineError(
          'VALIDATION_FAILED',
          `The allowed signers file cannot be used: ${(err as Error).message}. Write it as ssh-keygen expects: \`alice@example.com namespaces="tunebench-approval" ssh-ed25519 AAAA...\`, one key a line.`,
        );
      }
    }
    const required = changes.requiredApprovals ?? current.requiredApprovals;
    if (!Number.isInteger(required) || required < 1 || required > 10) throw new EngineError('VALIDATION_FAILED', 'Required approvals is a whole number from 1 to 10.');
    this.db
      .prepare(
        `INSERT INTO approval_rules (project_id, allowed_signers, forbid_self_approval, required_approvals, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (project_id) DO UPDATE SET allowed_signers = excluded.allowed_signers, forbid_self_approval = excluded.forbid_self_approval, required_approvals = excluded.required_approvals, updated_at = excluded.updated_at`,
      )
      .run(projectId, text, (changes.forbidSelfApproval ?? current.forbidSelfApproval) ? 1 : 0, required, Date.now());
    return this.get(projectId);
  }
}
