// Datasets that are files on a host, watched by digest: each look stats the file, hashes it on the host
// only when its size or time changed, and a new digest is copied here (streamed, by byte ranges) as the
// dataset's next version, which fires its triggers like a version added by hand.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Dataset, DatasetVersion } from '../../shared/domain/continuous';
import { jsonOutput, shQuote, type HostAccess } from '../hosts/host-access';
import type { DatasetStore } from './datasets';

const CHUNK = 4 * 1024 * 1024;

// stat, and the sha256 only when asked (hashing a big file is the costly part).
const LOOK = `import hashlib, json, os, sys
p, want_hash = sys.argv[1], sys.argv[2] == "1"
st = os.stat(p)
out = {"size": st.st_size, "mtime": st.st_mtime}
if want_hash:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    out["sha256"] = h.hexdigest()
print(json.dumps(out))
`;

async function look(access: HostAccess, python: string, file: string, hash: boolean): Promise<{ size: number; mtime: number; sha256?: string }> {
  const r = await access.exec(`${python} - ${shQuote(file)} ${hash ? '1' : '0'}`, { stdin: LOOK, timeoutMs: 600_000 });
  if (r.code !== 0) throw new Error(r.stderr.trim().split('\n').pop() || `exit ${r.code}`);
  return jsonOutput(r.stdout, 'Looking at the dataset file') as { size: number; mtime: number; sha256?: string };
}

/**
 * One look at a watched dataset. Returns the new version when the file's content changed (null when
 * it did not, or it could not be read: the dataset then says why).
 */
export async function lookAtWatched(
  datasets: DatasetStore,
  watched: { dataset: Dataset; seen: { size: number; mtime: number; sha256: string } | null },
  access: HostAccess,
  python: string,
  hostName: string,
): Promise<DatasetVersion | null> {
  const { dataset, seen } = watched;
  const file = dataset.watch!.path;
  try {
    const quick = await look(access, python, file, false);
    if (seen && quick.size === seen.size && quick.mtime === seen.mtime) {
      if (dataset.watch!.error) datasets.setWatchSeen(dataset.id, null, null);
      return null;
    }
    const full = await look(access, python, file, true);
    const now = { size: full.size, mtime: full.mtime, sha256: full.sha256! };
    if (full.sha256 === dataset.latest?.sha256) {
      datasets.setWatchSeen(dataset.id, now, null); // touched, not changed
      return null;
    }
    // Copied by byte ranges into a file here, then added as any version (hashed again as it is copied).
    const local = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tb-dataset-')), path.basename(file));
    try {
      const out = fs.openSync(local, 'w', 0o600);
      try {
        for (let offset = 0; offset < full.size;) {
          const chunk = await access.readRange(file, offset, Math.min(CHUNK, full.size - offset));
          if (chunk.length === 0) break;
          fs.writeSync(out, chunk);
          offset += chunk.length;
        }
      } finally {
        fs.closeSync(out);
      }
      const added = await datasets.add(dataset.projectId, dataset.name, local, `${hostName}:${file}`);
      if (added.version.sha256 !== full.sha256) {
        // It changed while it was copied: look again next time.
        datasets.setWatchSeen(dataset.id, null, `${file} changed while it was copied; it is read again at the next look.`);
        return added.added ? added.version : null;
      }
      datasets.setWatchSeen(dataset.id, now, null);
      return added.added ? added.version : null;
    } finally {
      fs.rmSync(path.dirname(local), { recursive: true, force: true });
    }
  } catch (err) {
    datasets.setWatchSeen(dataset.id, null, `Cannot read ${hostName}:${file}: ${err instanceof Error ? err.message : String(err)}`);
    return null;
  }
}
