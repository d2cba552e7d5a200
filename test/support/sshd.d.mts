// Types of sshd.mjs.
export declare const SSHD: string;
export declare function ensureOpenSsh(): void;
export declare function freePort(): Promise<number>;
export declare function keygen(file: string): string;
export declare function fingerprint(pubFile: string): string;
export interface TestSshd {
  port: number;
  user: string;
  dir: string;
  clientKey: string;
  hostKeyFingerprint: string;
  log: string;
  /** Server-side session processes: killing them cuts every client's link. */
  /** Kills every open session; false when none was open. */
  cutLinks(): boolean;
  /** Restarts on the same port with a new host key (a reinstalled or spoofed server). */
  restartWithNewHostKey(): Promise<string>;
  /** The second account, when asked for: same client key, its own home. */
  second: { user: string; home: string; uid: number; gid: number } | undefined;
  /** Stops the server (and removes the second account). */
  stop(): Promise<void>;
}
/** `env`: variables set in every session (sshd_config SetEnv); sessions do not inherit the test's environment. */
export declare function startSshd(options?: { secondUser?: boolean; env?: Record<string, string> }): Promise<TestSshd>;
