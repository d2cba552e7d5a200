// Types of sshd.mjs.
export declare const SSHD: string;
export declare function ensureOpenSsh(): void;
export declare function freePort(): Promise<number>;
export declare function keygen(file: string, type?: 'ed25519' | 'rsa' | 'ecdsa'): string;
export declare function fingerprint(pubFile: string): string;
/** Kills every sshd process but `except` with a connection on local port `port`; returns how many. */
export declare function killSessions(port: number, except?: number): number;
export interface TestSshd {
  port: number;
  user: string;
  dir: string;
  clientKey: string;
  hostKeyFingerprint: string;
  log: string;
  /** Kills every open session (sessions of an earlier listener too); false when none was open. */
  cutLinks(): boolean;
  /** Cuts every open session and refuses new connections until restoreLinks(): a link that stays down. */
  takeLinksDown(): Promise<void>;
  /** Listens again after takeLinksDown(), on the same port with the same host keys. */
  restoreLinks(): Promise<void>;
  /** Restarts on the same port with a new host key (a reinstalled or spoofed server). */
  restartWithNewHostKey(): Promise<string>;
  /**
   * Restarts on the same port with a new host key of this type (its fingerprint is returned and becomes
   * hostKeyFingerprint): the only one offered, or besides the old ones with `keepOld`.
   */
  restartWithHostKeyType(type: 'ed25519' | 'rsa' | 'ecdsa', options?: { keepOld?: boolean }): Promise<string>;
  /** With `hostCertificate`: the CA's public key line (type, base64, comment) that certified the host key. */
  hostCa: string | undefined;
  /** The second account, when asked for: same client key, its own home. */
  second: { user: string; home: string; uid: number; gid: number } | undefined;
  /** Stops the server (and removes the second account). */
  stop(): Promise<void>;
}
/** `env`: variables set in every session (sshd_config SetEnv); sessions do not inherit the test's environment. */
export declare function startSshd(options?: { secondUser?: boolean; secondUserShell?: string; env?: Record<string, string>; hostCertificate?: boolean }): Promise<TestSshd>;
