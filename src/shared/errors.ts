// Error codes a user can meet, and the envelope every call crosses a transport in.
// Nothing is thrown across a transport: failures travel as data with a code and a sentence.
import { z } from 'zod';

export const ErrorCode = z.enum([
  'VALIDATION_FAILED', // the input does not match the method's schema
  'UNKNOWN_METHOD', // no such RPC method
  'BAD_MESSAGE', // a transport frame that is not a well-formed request
  'MESSAGE_TOO_LARGE',
  'UNAUTHORIZED', // missing or wrong token (browser mode)
  'FORBIDDEN_ORIGIN',
  'FORBIDDEN_SENDER', // an IPC message from a frame that is not the app's
  'PROJECT_NOT_FOUND',
  'PROJECT_NAME_TAKEN',
  'HOST_NOT_FOUND',
  'HOST_NAME_TAKEN',
  'HOST_IN_USE',
  'HOST_KEY_UNKNOWN', // the server's key is in no trust store: show the fingerprint, let the user trust it
  'HOST_KEY_MISMATCH', // the server presented a different key than the one trusted: refuse
  'HOST_KEY_REVOKED',
  'HOST_CERT_UNSUPPORTED', // known_hosts trusts the host through @cert-authority, which Tunebench cannot check: trust its plain key
  'FINGERPRINT_MISMATCH', // `host trust --fingerprint` does not match what the server presents
  'HOST_UNREACHABLE',
  'HOST_CHANGED', // configured anew while a probe of it was under way: its result is of the old settings
  'AUTH_FAILED',
  'PASSPHRASE_REQUIRED',
  'REMOTE_COMMAND_FAILED',
  'SLURM_NOT_FOUND', // sbatch/squeue are not on the login node's PATH (a setup line is needed)
  'SLURM_SUBMIT_REFUSED', // SLURM would not take the job: limits of the partition, account or QOS
  'SLURM_SUBMIT_FAILED', // sbatch answered without a job id
  'RUN_NOT_FOUND',
  'RUN_CHANGED', // changed elsewhere while it was being launched (another engine on the same data failed it as cut short)
  'RUN_WAIT_TIMEOUT', // `run wait --timeout` ran out; the run goes on
  'RECIPE_NOT_FOUND',
  'DATASET_NOT_FOUND',
  'DATASET_CHANGED', // the dataset file changed while it was uploaded: launch again once nothing writes to it
  'CODE_PIN_LOST', // the code a saved recipe trained with cannot be found again: its folder or commit is gone, or it was never committed
  'SUITE_INVALID', // a suite file that cannot be used: says the file, line and case id
  'SUITE_NOT_FOUND',
  'SUITE_VERSION_EXISTS', // name@version is taken by other cases: bump the version
  'TEST_NOT_FOUND',
  'TEST_NOT_RESUMABLE',
  'SWEEP_INVALID', // a sweep file that cannot be run: says the file and the parameter
  'SWEEP_NOT_FOUND',
  'SWEEP_STATE', // a sweep action its state does not allow (start a running sweep, resume a finished one)
  'MODEL_NOT_TESTABLE', // a candidate or baseline the runner cannot load (unfinished run, unknown recipe, other host)
  'REPORT_RENDERER_MISSING', // dist/report/report.js was not built
  'BUNDLE_INVALID', // a review bundle that is not what its manifest says, or a hostile zip
  'BUNDLE_NOT_FOUND',
  'BUNDLE_TOO_NEW',
  'SIGNATURE_INVALID', // an SSHSIG that does not verify over the statement
  'SIGNER_NOT_ALLOWED', // the key (or principal) is not in the project's allowed signers
  'DECISION_REFUSED', // a decision the project's rules refuse (own candidate, a FAIL without override, a stale chain, another model)
  'APPROVAL_NOT_FOUND',
  'KEY_NOT_FOUND', // no SSH agent key or key file to sign with
  'REGISTRY_UNREACHABLE',
  'REGISTRY_AUTH_FAILED', // wrong or missing registry credentials: `tunebench registry login NAME`
  'REGISTRY_TLS_UNTRUSTED', // the registry's certificate is signed by an unknown CA: give --ca-file
  'REGISTRY_REFUSED', // the registry said no (an HTTP error, a version that exists with other content)
  'REGISTRY_NOT_FOUND', // no such registry, model, version or alias
  'PUSH_REFUSED', // a push the rules refuse: no valid approval, other bytes, a rejected decision
  'ALIAS_REFUSED', // an alias move to a model that does not verify
  'VERIFY_FAILED', // a model in a registry that does not verify: says what failed
  'DB_NOT_SQLITE',
  'DB_CORRUPT', // an SQLite file whose pages are damaged: restore a backup or recover it with sqlite3 .recover
  'DB_TOO_NEW',
  'DB_OPEN_FAILED',
  'DB_BUSY',
  'DISK_FULL',
  'DATA_DIR_UNUSABLE',
  'BAD_USAGE', // CLI: wrong command or flags
  'LOG_QUERY_INVALID', // a log search that full-text search cannot read (a NUL character)
  'DISCONNECTED', // client side: the link to the engine is down
  'NOT_FOUND', // browser mode: no such page or asset
  'INTERNAL',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorInfo = z.object({
  code: ErrorCode,
  message: z.string(),
  details: z.unknown().optional(),
});
export type ErrorInfo = z.infer<typeof ErrorInfo>;

export type Envelope<T> = { ok: true; data: T } | { ok: false; error: ErrorInfo };

/** Error codes that mean "the caller asked for something wrong" (CLI exit code 2). */
export const INPUT_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'VALIDATION_FAILED',
  'UNKNOWN_METHOD',
  'BAD_MESSAGE',
  'MESSAGE_TOO_LARGE',
  'PROJECT_NOT_FOUND',
  'PROJECT_NAME_TAKEN',
  'BAD_USAGE',
  'SUITE_INVALID',
  'SUITE_NOT_FOUND',
  'SUITE_VERSION_EXISTS',
  'SWEEP_INVALID',
  'SWEEP_NOT_FOUND',
  'SWEEP_STATE',
  'TEST_NOT_FOUND',
  'MODEL_NOT_TESTABLE',
  'BUNDLE_INVALID',
  'BUNDLE_NOT_FOUND',
  'BUNDLE_TOO_NEW',
  'SIGNATURE_INVALID',
  'SIGNER_NOT_ALLOWED',
  'DECISION_REFUSED',
  'APPROVAL_NOT_FOUND',
  'KEY_NOT_FOUND',
  'REGISTRY_NOT_FOUND',
  'PUSH_REFUSED',
  'ALIAS_REFUSED',
  'HOST_NOT_FOUND',
  'HOST_NAME_TAKEN',
  'HOST_IN_USE',
  'FINGERPRINT_MISMATCH',
  'RUN_NOT_FOUND',
  'RECIPE_NOT_FOUND',
  'DATASET_NOT_FOUND',
  'LOG_QUERY_INVALID',
]);
