// A bundle dropped on the app arrives in parts (a WebSocket message carries a few MB at most): the
// parts go to a file under the data directory, never all in memory, with a cap on the total.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { EngineError } from '../errors';

export const MAX_UPLOAD_BYTES = 512 * 1024 * 1024;
const STALE_MS = 60 * 60 * 1000;

export class BundleUploads {
  private readonly open = new Map<string, { file: string; bytes: number; at: number }>();

  constructor(private readonly dir: string) {}

  /** Appends one part; returns the file once the last part is in. */
  add(uploadId: string | undefined, dataBase64: string, done: boolean, fileName: string): { uploadId: string; file: string | null } {
    this.forgetStale();
    let upload = uploadId ? this.open.get(uploadId) : undefined;
    if (uploadId && !upload) throw new EngineError('VALIDATION_FAILED', 'That upload is unknown or was abandoned; drop the bundle again.');
    const id = uploadId ?? crypto.randomBytes(16).toString('hex');
    if (!upload) {
      fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
      upload = {
        file: path.join(
          this.dir,
          `${id}-${
            path
              .basename(fileName)
              .replace(/[^A-Za-z0-9._-]/g, '_')
              .slice(0, 100) || 'bundle.zip'
          }`,
        ),
        bytes: 0,
        at: Date.now(),
      };
      fs.writeFileSync(upload.file, Buffer.alloc(0), { mode: 0o600 });
      this.open.set(id, upload);
    }
    const part = Buffer.from(dataBase64, 'base64');
    upload.bytes += part.length;
    upload.at = Date.now();
    if (upload.bytes > MAX_UPLOAD_BYTES) {
      this.remove(upload.file);
      this.open.delete(id);
      throw new EngineError('BUNDLE_INVALID', `The bundle is larger than ${MAX_UPLOAD_BYTES / 1024 / 1024} MB; a review bundle holds reports and records, never weights.`);
    }
    fs.appendFileSync(upload.file, part);
    if (!done) return { uploadId: id, file: null };
    this.open.delete(id);
    return { uploadId: id, file: upload.file };
  }

  remove(file: string): void {
    fs.rmSync(file, { force: true });
  }

  private forgetStale(): void {
    for (const [id, u] of this.open) {
      if (Date.now() - u.at > STALE_MS) {
        this.remove(u.file);
        this.open.delete(id);
      }
    }
  }
}
