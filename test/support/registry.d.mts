// Types of registry.mjs.
export declare const DOCKER_REGISTRY: string;
export declare function ensureRegistry(): void;

export interface TokenRequest {
  scopes: string[];
  /** The authenticated user, null for anonymous, 'REFUSED' for wrong credentials. */
  account: string | null;
  service: string | null;
}

export interface CountingProxy {
  url: string;
  port: number;
  requests: { method: string; uuid: string | null; bytes: number; status: number | null; cut: boolean }[];
  readonly totalBytes: number;
  readonly cuts: number;
  /** Request body bytes received from the client for one upload UUID. */
  uploadBytes(uuid: string): number;
  /** Request body bytes of every upload finished (final PUT) with this digest. */
  digestBytes(digest: string): number;
  uploadsFor(digest: string): string[];
  /** Drops the client's connection once `bytes` more request body bytes have passed. */
  cutAfter(bytes: number): void;
  /** Holds every buffered request this long before forwarding it: a slow link. */
  setDelay(ms: number): void;
  close(): Promise<void>;
}

export interface TestRegistry {
  url: string;
  host: string;
  port: number;
  dir: string;
  dataDir: string;
  log: string;
  caFile?: string;
  user: string;
  password: string;
  service: string;
  /** Every call to the token realm (auth: 'token'). */
  tokenRequests?: TokenRequest[];
  proxy?: CountingProxy;
  /** Kills it as a crash would (SIGKILL), keeping its storage for restart(). */
  kill(): Promise<void>;
  /** Kills (SIGKILL) and starts again on the same port with the same storage and upload secret. */
  restart(): Promise<void>;
  /** Kills it, its token realm and proxy, and removes its directory. */
  stop(): Promise<void>;
}

export declare function startRegistry(opts?: {
  auth?: 'none' | 'basic' | 'token';
  tls?: boolean;
  user?: string;
  password?: string;
  /** Also start a buffering counting proxy in front of it. */
  proxy?: boolean;
}): Promise<TestRegistry>;

export declare function startCountingProxy(targetPort: number, opts?: { buffer?: boolean }): Promise<CountingProxy>;
