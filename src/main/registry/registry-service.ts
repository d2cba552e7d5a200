// Verify, alias and pull: every read of a model from a registry is checked against its approval
// (signature, signer's rights, the chain, the bytes), and an alias moves only to a model that passes.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AliasMove, RegistryVerify } from '../../shared/domain/registry';
import { ApprovalStatement } from '../../shared/domain/review';
import { EngineError } from '../errors';
import type { ProjectStore } from '../projects/project-store';
import type { ApprovalRulesStore } from '../review/approval-rules';
import type { Identity } from '../review/identity';
import type { RunStore } from '../runs/run-store';
import type { ModelBackend } from './backend';
import { verifyStoredModel, type StoredModel } from './verify-model';

export interface RegistryServiceDeps {
  projects: ProjectStore;
  runs: RunStore;
  rules: ApprovalRulesStore;
  identity: Identity;
}

/** MODEL@VERSION, MODEL:ALIAS, or MODEL (its production alias). */
export function parseModelRef(ref: string): { model: string; version?: string; alias?: string } {
  const at = ref.indexOf('@');
  if (at > 0) return { model: ref.slice(0, at), version: ref.slice(at + 1) };
  const colon = ref.indexOf(':');
  if (colon > 0) return { model: ref.slice(0, colon), alias: ref.slice(colon + 1) };
  return { model: ref, alias: 'production' };
}

async function resolve(backend: ModelBackend, ref: string): Promise<{ model: string; version: string }> {
  const r = parseModelRef(ref);
  if (r.version) return { model: r.model, version: r.version };
  const version = await backend.resolveAlias(r.model, r.alias!);
  if (!version) throw new EngineError('REGISTRY_NOT_FOUND', `${r.model} has no alias "${r.alias}" in this registry. List what it has with \`tunebench registry show\`.`);
  return { model: r.model, version };
}

/**
 * Whose allowed signers decide: the file given; else the project's, when this data directory knows
 * the project the approval names; else the registry's own copy (an SSH registry keeps one), said so.
 */
async function signersFor(deps: RegistryServiceDeps, backend: ModelBackend, stored: StoredModel, given?: string): Promise<{ text: string | null; from: string }> {
  if (given?.trim()) return { text: given, from: 'the allowed signers given' };
  if (stored.approval) {
    try {
      const s = ApprovalStatement.parse(JSON.parse(stored.approval.payload));
      const project = deps.projects.get(s.predicate.project.id);
      const rules = deps.rules.get(project.id);
      if (rules.allowedSigners.trim()) return { text: rules.allowedSigners, from: `project ${project.name}'s allowed signers` };
    } catch {
      // not a project of this data directory
    }
  }
  const fromRegistry = await backend.allowedSigners();
  return fromRegistry ? { text: fromRegistry, from: "the registry's own allowed_signers (give --allowed-signers to check against yours)" } : { text: null, from: 'none' };
}

export async function verifyInRegistry(
  deps: RegistryServiceDeps,
  backend: ModelBackend,
  ref: string,
  options: { allowedSigners?: string; deep?: boolean; needApprove?: boolean } = {},
): Promise<RegistryVerify & { stored: StoredModel & { report: string | null } }> {
  const { model, version } = await resolve(backend, ref);
  const stored = await backend.read(model, version);
  const signers = await signersFor(deps, backend, stored, options.allowedSigners);
  const result = verifyStoredModel(stored, signers.text, options.needApprove ? { needApprove: true } : {});
  result.checks.unshift({ name: 'signers', ok: signers.text !== null, detail: `checked against ${signers.from}` });
  if (options.deep) {
    for (const f of stored.files) {
      const hash = crypto.createHash('sha256');
      let size = 0;
      try {
        await backend.download(model, version, f, async (chunk) => {
          hash.update(chunk);
          size += chunk.length;
        });
      } catch (err) {
        // The registry's own digest check on the way (an OCI blob that no longer hashes to its name).
        result.checks.push({ name: `bytes of ${f.path}`, ok: false, detail: (err as Error).message });
        continue;
      }
      const got = hash.digest('hex');
      result.checks.push({
        name: `bytes of ${f.path}`,
        ok: got === f.sha256 && size === f.size,
        detail: got === f.sha256 ? `sha256:${got.slice(0, 16)}…, ${size} bytes` : `the registry holds sha256:${got.slice(0, 16)}… (${size} bytes), not sha256:${f.sha256.slice(0, 16)}…`,
      });
    }
  }
  const failed = result.checks.filter((c) => !c.ok);
  result.ok = failed.length === 0;
  if (failed.length) result.summary = `${model}@${version} does not verify: ${failed.map((c) => `${c.name}: ${c.detail}`).join('; ')}.`;
  return { ...result, stored };
}

export async function moveAlias(
  deps: RegistryServiceDeps,
  backend: ModelBackend,
  input: { model: string; version: string; alias: string; confirm?: string | undefined; allowedSigners?: string | undefined },
): Promise<{ move: AliasMove; verify: RegistryVerify }> {
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(input.alias) || input.alias.startsWith('sha256-'))
    throw new EngineError('VALIDATION_FAILED', `"${input.alias.slice(0, 60)}" cannot be an alias name.`);
  const production = input.alias === 'production';
  if (production && input.confirm !== input.model) throw new EngineError('ALIAS_REFUSED', `Moving production is deliberate: type the model's name back (--confirm ${input.model}). Nothing moved.`);
  // Verify with the bytes themselves: an alias must never point at a model whose layers were changed on the registry's disk.
  const verify = await verifyInRegistry(deps, backend, `${input.model}@${input.version}`, {
    deep: true,
    needApprove: production,
    ...(input.allowedSigners ? { allowedSigners: input.allowedSigners } : {}),
  });
  if (!verify.ok) throw new EngineError('ALIAS_REFUSED', `${input.alias} was not moved: ${verify.summary}`, { checks: verify.checks });
  const from = await backend.resolveAlias(input.model, input.alias);
  const move: AliasMove = { alias: input.alias, from, to: input.version, who: deps.identity.get(), at: new Date().toISOString(), approval: verify.approval };
  await backend.setAlias(input.model, input.alias, input.version, move);
  // The production alias of a project's model is the baseline its next test runs compare against.
  if (production && verify.stored.approval) {
    try {
      const s = ApprovalStatement.parse(JSON.parse(verify.stored.approval.payload));
      const run = deps.runs.get(s.predicate.candidate.runId);
      deps.projects.setProduction(s.predicate.project.id, { runId: run.id, checkpoint: s.predicate.candidate.checkpoint });
    } catch {
      // the run is not in this data directory: nothing to point the testing pipeline at
    }
  }
  const { stored: _stored, ...plain } = verify;
  return { move, verify: plain };
}

/** Downloads a verified model into `dir`; a file whose bytes differ from its digest is refused and removed. */
export async function pullModel(deps: RegistryServiceDeps, backend: ModelBackend, ref: string, dir: string, allowedSigners?: string): Promise<{ verify: RegistryVerify; files: string[] }> {
  const verify = await verifyInRegistry(deps, backend, ref, allowedSigners ? { allowedSigners } : {});
  if (!verify.ok) throw new EngineError('VERIFY_FAILED', `Nothing was pulled: ${verify.summary}`, { checks: verify.checks });
  const written: string[] = [];
  for (const f of verify.stored.files) {
    const target = path.resolve(dir, f.path);
    if (!target.startsWith(path.resolve(dir) + path.sep)) throw new EngineError('VERIFY_FAILED', `The registry names a file outside the target folder (${f.path}); nothing more was pulled.`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const part = `${target}.part`;
    const fd = fs.openSync(part, 'w', 0o644);
    const hash = crypto.createHash('sha256');
    try {
      await backend.download(verify.model, verify.version, f, async (chunk) => {
        hash.update(chunk);
        fs.writeSync(fd, chunk);
      });
    } catch (err) {
      fs.closeSync(fd);
      fs.rmSync(part, { force: true });
      throw err;
    }
    fs.closeSync(fd);
    const got = hash.digest('hex');
    if (got !== f.sha256) {
      fs.rmSync(part, { force: true });
      throw new EngineError('VERIFY_FAILED', `${f.path} downloaded as sha256:${got.slice(0, 16)}…, not sha256:${f.sha256.slice(0, 16)}… as approved; it was removed and nothing more was pulled.`);
    }
    fs.renameSync(part, target);
    written.push(target);
  }
  const meta = path.join(dir, '.tunebench');
  fs.mkdirSync(meta, { recursive: true });
  if (verify.stored.approval) {
    fs.writeFileSync(path.join(meta, 'approval.json'), verify.stored.approval.payload);
    fs.writeFileSync(path.join(meta, 'approval.json.sig'), verify.stored.approval.signature);
  }
  const { stored: _stored, ...plain } = verify;
  return { verify: plain, files: written };
}
