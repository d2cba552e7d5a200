// Trusting a host's key: only the key the server presents, only when it matches the fingerprint the user
// checked, and for a jump host on the route as for the host itself.
import type { Host } from '../../shared/domain/host';
import { EngineError } from '../errors';
import { connectSsh } from '../ssh/connect';
import { knownHostsName, type PresentedKey } from '../ssh/host-keys';
import type { HostConnections } from './connections';
import type { HostStore } from './host-store';

export interface TrustResult {
  host: Host;
  fingerprint: string;
  keyType: string;
  alreadyTrusted: boolean;
  jumpHost?: string;
}

/**
 * Trusts the key a host, or one of its jump hosts, presents, but only if it matches the fingerprint
 * the user checked. Never authenticates to a server whose key is unknown, so nothing runs on an
 * untrusted server. For a host already trusted, the fingerprint is still compared with what the
 * server presents now: "already trusted" is only said of the key the user named.
 */
export async function trustHost(store: HostStore, connections: HostConnections, ref: string, fingerprint: string): Promise<TrustResult> {
  const host = store.get(ref);
  if (host.kind === 'local') throw new EngineError('VALIDATION_FAILED', 'The local host needs no key.');
  const route = await connections.route(host);
  const hops = [...route.jumps, route.target];
  const at = (h: { hostname: string; port: number }) => `${h.hostname}:${h.port}`;
  const presented = new Map<string, PresentedKey>();
  connections.drop(host.id);
  let failure: unknown;
  try {
    const client = await connectSsh(route.target, route.jumps, { ...connections.sshOptions(route), onHostKey: (hop, key) => presented.set(at(hop), key) });
    client.end();
  } catch (err) {
    failure = err;
  }
  const e = failure instanceof EngineError ? failure : undefined;
  const keyProblem = e && /^HOST_(KEY|CERT)_/.test(e.code);
  const details = e?.details as { host?: string; port?: number; presented?: string; keyType?: string; source?: string } | undefined;
  // The hop the key problem is about: the target, or a jump host (whose key must be trusted first).
  const hop = keyProblem ? hops.find((h) => h.hostname === details?.host && h.port === details?.port) : undefined;
  if (hop && (e!.code === 'HOST_KEY_UNKNOWN' || e!.code === 'HOST_KEY_MISMATCH' || e!.code === 'HOST_CERT_UNSUPPORTED')) {
    const jump = at(hop) !== at(route.target) ? at(hop) : undefined;
    const whose = jump ? `The jump host ${jump} of ${host.name}` : host.name;
    if (details!.presented !== fingerprint) {
      throw new EngineError('FINGERPRINT_MISMATCH', `${whose} presents ${details!.presented}, not ${fingerprint}. Nothing was trusted. Check the fingerprint with the server's administrator.`, {
        presented: details!.presented,
        given: fingerprint,
        ...(jump ? { jumpHost: jump } : {}),
      });
    }
    if (e!.code === 'HOST_KEY_MISMATCH' && details!.source === 'known_hosts') {
      throw new EngineError('HOST_KEY_MISMATCH', `${e!.message} The old key is in your known_hosts: remove it with \`ssh-keygen -R '${knownHostsName(hop.hostname, hop.port)}'\` first.`, e!.details);
    }
    // A changed key replaces the old ones: the server no longer has them, and trusting both would
    // accept the old key too (what an attacker who stole it would present).
    store.trustKey(hop.hostname, hop.port, details!.keyType!, fingerprint, e!.code === 'HOST_KEY_MISMATCH');
    connections.drop(host.id);
    return { host, fingerprint, keyType: details!.keyType!, alreadyTrusted: false, ...(jump ? { jumpHost: jump } : {}) };
  }
  // A revoked key, or a key problem of a server that is not on this route: nothing to trust here.
  if (keyProblem) throw failure;
  // Every key presented was trusted (a login that failed later does not matter here): is the
  // user's fingerprint one of them?
  const named = [...presented.entries()].find(([, k]) => k.fingerprint === fingerprint);
  if (named) return { host, fingerprint, keyType: named[1].keyType, alreadyTrusted: true, ...(named[0] !== at(route.target) ? { jumpHost: named[0] } : {}) };
  const targetKey = presented.get(at(route.target));
  if (targetKey) {
    throw new EngineError(
      'FINGERPRINT_MISMATCH',
      `${host.name} presents ${targetKey.fingerprint} (${targetKey.keyType}), which is already trusted, not ${fingerprint}. Nothing was changed. Check the fingerprint with the server's administrator.`,
      { presented: targetKey.fingerprint, given: fingerprint },
    );
  }
  throw failure ?? new EngineError('HOST_UNREACHABLE', `Connecting to ${host.name} saw no host key. Try again.`);
}
