// Review bundles as zip files: a deterministic writer, and a reader that assumes the zip is hostile.
// A reviewer imports bundles on an offline laptop from people they may not trust, so the reader
// refuses anything that could escape a folder, mean different things on different systems, or
// inflate past a fixed memory budget. It never writes to disk: it returns the files in memory.
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import type yauzl from 'yauzl';
import { yauzlLib, yazlLib } from '../lazy';
import { EngineError } from '../errors';

const MiB = 1024 * 1024;

export interface ZipLimits {
  /** Entries in the central directory, folder entries included. */
  maxEntries: number;
  /** Declared, and real, uncompressed size of one entry. */
  maxEntryBytes: number;
  /** Sum of the uncompressed sizes of all entries: the most memory readZip will hold. */
  maxTotalBytes: number;
  /** Uncompressed / compressed, checked for entries over 1 MiB (small files compress freely). */
  maxRatio: number;
}

export const DEFAULT_ZIP_LIMITS: Readonly<ZipLimits> = Object.freeze({
  maxEntries: 10_000,
  maxEntryBytes: 512 * MiB,
  maxTotalBytes: 2048 * MiB,
  maxRatio: 1000,
});

const RATIO_FLOOR = 1 * MiB;

/** Why a zip was refused: `details.reason` of the VALIDATION_FAILED error. */
export type ZipRefusal =
  | 'NOT_ZIP' // no end-of-central-directory record: not a zip, or cut short
  | 'CORRUPT' // a zip whose structure or deflate data is damaged
  | 'UNREADABLE' // the file itself cannot be opened or read
  | 'PATH_TRAVERSAL'
  | 'ABSOLUTE_PATH'
  | 'BAD_NAME' // backslash, control or bidi characters, ':', empty or '.' segments
  | 'LINK'
  | 'NOT_REGULAR' // device, fifo, socket, or a folder/file type that contradicts the name
  | 'DUPLICATE' // same name, case-insensitively, or both a file and a folder
  | 'TOO_MANY_ENTRIES'
  | 'TOO_LARGE'
  | 'RATIO'
  | 'SIZE_MISMATCH'
  | 'CRC_MISMATCH'
  | 'ENCRYPTED'
  | 'UNSUPPORTED' // a compression method other than stored or deflate
  | 'OVERLAP' // two entries share compressed bytes (the overlapping-file zip bomb)
  | 'HEADER_MISMATCH'; // local header disagrees with the central directory

export interface ZipRefusalDetails {
  reason: ZipRefusal;
  entry: string | null;
}

function refuse(file: string, reason: ZipRefusal, entry: string | null, why: string): EngineError {
  // JSON.stringify escapes control characters, so a hostile name cannot repaint the terminal.
  const where = entry === null ? '' : ` entry ${JSON.stringify(entry)}`;
  const details: ZipRefusalDetails = { reason, entry };
  // A file that cannot be opened is the user's path, not a hostile or damaged bundle.
  return new EngineError(reason === 'UNREADABLE' ? 'VALIDATION_FAILED' : 'BUNDLE_INVALID', `Refused review bundle ${file}:${where} ${why}.`, details);
}

interface NameProblem {
  reason: ZipRefusal;
  why: string;
}

/** The rules a bundle path must follow; shared by reader and writer so we never write what we refuse. */
function nameProblem(name: string): NameProblem | null {
  if (name === '') return { reason: 'BAD_NAME', why: 'has an empty name' };
  // Checked before backslashes so `C:\x` and `\\server\x` are reported as what they are.
  if (/^[\\/]/.test(name) || /^[a-zA-Z]:/.test(name)) return { reason: 'ABSOLUTE_PATH', why: 'is an absolute path' };
  const segments = name.split(/[\\/]/); // '\' separates on Windows, so `a\..\x` climbs there
  if (segments.includes('..')) return { reason: 'PATH_TRAVERSAL', why: 'climbs out of the bundle with ".."' };
  // C0/C1 controls (NUL included) and bidi overrides, which can disguise a name shown to a reviewer.
  if (/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/.test(name)) return { reason: 'BAD_NAME', why: 'contains control or text-direction characters' };
  if (name.includes('\\')) return { reason: 'BAD_NAME', why: 'contains a backslash' };
  if (name.includes(':')) return { reason: 'BAD_NAME', why: 'contains ":" (a drive or stream name on Windows)' };
  const body = name.endsWith('/') ? segments.slice(0, -1) : segments;
  if (body.some((s) => s === '' || s === '.')) return { reason: 'BAD_NAME', why: 'has an empty or "." path segment' };
  // Windows drops trailing dots and spaces, so `a.` and `a` would be one file there.
  if (body.some((s) => /[. ]$/.test(s))) return { reason: 'BAD_NAME', why: 'has a segment ending in a dot or space' };
  return null;
}

/** Tracks names the way the strictest file system would see them: case- and normalization-insensitive. */
class NameSet {
  private readonly files = new Set<string>();
  private readonly folders = new Set<string>();

  /** Returns why `name` clashes with an earlier one, or null after recording it. */
  add(name: string, isFolder: boolean): string | null {
    const key = name.replace(/\/$/, '').normalize('NFC').toLowerCase();
    const parts = key.split('/');
    const parents = parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join('/'));
    if (this.files.has(key)) return 'appears twice (names are compared ignoring case, as on macOS and Windows)';
    if (!isFolder && this.folders.has(key)) return 'is both a file and a folder';
    if (parents.some((p) => this.files.has(p))) return 'is inside a path that is also a file';
    (isFolder ? this.folders : this.files).add(key);
    for (const p of parents) this.folders.add(p);
    return null;
  }
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/** Turns yauzl's and zlib's errors into refusals a user can read; passes our own through. */
function asRefusal(err: unknown, file: string, entry: string | null): EngineError {
  if (err instanceof EngineError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && 'syscall' in (err as object)) return refuse(file, 'UNREADABLE', null, `cannot be read (${msg})`);
  if (/End of central directory record signature not found/.test(msg)) return refuse(file, 'NOT_ZIP', null, 'is not a zip file, or it is truncated (no end-of-archive record)');
  // yauzl checks names itself (decodeStrings) and fails before handing us the entry: re-check the name
  // it quotes with our rules, so the reason is as precise as if we had seen it first.
  const named = /^(invalid characters in fileName|absolute path|invalid relative path): (.*)$/s.exec(msg);
  if (named) {
    const problem = nameProblem(named[2]!) ?? { reason: 'BAD_NAME' as const, why: 'has an unsafe name' };
    return refuse(file, problem.reason, named[2]!, problem.why);
  }
  if (/strong encryption/.test(msg)) return refuse(file, 'ENCRYPTED', entry, 'is encrypted');
  if (/unsupported compression method/.test(msg)) return refuse(file, 'UNSUPPORTED', entry, `uses an ${msg}`);
  if (/too many bytes in the stream|not enough bytes in the stream|size mismatch/.test(msg)) return refuse(file, 'SIZE_MISMATCH', entry, `does not inflate to its declared size (${msg})`);
  return refuse(file, 'CORRUPT', entry, `is not a valid zip file: it is damaged or truncated (${msg})`);
}

/**
 * Reads every file of a possibly hostile zip into memory, refusing the whole zip at the first problem.
 * Folder entries are skipped. Memory stays within maxTotalBytes: every size is checked against the
 * limits before a byte is inflated, and inflation stops at the declared size whatever the data says.
 */
export async function readZip(file: string, limits: Partial<ZipLimits> = {}): Promise<Map<string, Buffer>> {
  const lim: ZipLimits = { ...DEFAULT_ZIP_LIMITS, ...limits };
  let current: string | null = null;
  let zip: yauzl.ZipFile | undefined;
  try {
    zip = await yauzlLib().openPromise(file, {
      lazyEntries: true,
      autoClose: false, // two passes over the entries; closed in `finally`
      decodeStrings: true,
      validateEntrySizes: true,
      strictFileNames: true, // keep backslashes so they are refused, not silently turned into '/'
    });
    if (zip.entryCount > lim.maxEntries) throw refuse(file, 'TOO_MANY_ENTRIES', null, `has ${zip.entryCount} entries; the limit is ${lim.maxEntries}`);

    // Pass 1: the central directory only. Everything knowable without inflating is refused here,
    // so a bomb costs us a few kilobytes of reading, not gigabytes of inflating.
    const files: yauzl.Entry[] = [];
    const spans: { start: number; end: number; name: string }[] = [];
    const names = new NameSet();
    let total = 0;
    let count = 0;
    for await (const entry of zip.eachEntry()) {
      const name = entry.fileName; // refusals here name it themselves; `current` is for pass 2
      if (++count > lim.maxEntries) throw refuse(file, 'TOO_MANY_ENTRIES', null, `has more than ${lim.maxEntries} entries`);
      const problem = nameProblem(name);
      if (problem) throw refuse(file, problem.reason, name, problem.why);
      if (entry.generalPurposeBitFlag & 0x1) throw refuse(file, 'ENCRYPTED', name, 'is encrypted');
      // The high 16 bits are the Unix mode when the writer set one. Read them whatever "version made
      // by" claims: an extractor that honours them would create the link.
      const type = (entry.externalFileAttributes >>> 16) & S_IFMT;
      if (type === S_IFLNK) throw refuse(file, 'LINK', name, 'is a symbolic link');
      if (type !== 0 && type !== S_IFREG && type !== S_IFDIR) throw refuse(file, 'NOT_REGULAR', name, 'is not a regular file');
      const isFolder = name.endsWith('/');
      if (type === S_IFDIR && !isFolder) throw refuse(file, 'NOT_REGULAR', name, 'is marked as a folder but named as a file');
      if (isFolder && (type === S_IFREG || entry.uncompressedSize !== 0 || entry.compressedSize > 2)) throw refuse(file, 'NOT_REGULAR', name, 'is named as a folder but holds data');
      const clash = names.add(name, isFolder);
      if (clash) throw refuse(file, 'DUPLICATE', name, clash);
      spans.push({ start: entry.relativeOffsetOfLocalHeader, end: entry.relativeOffsetOfLocalHeader + 30 + entry.compressedSize, name });
      if (isFolder) continue;
      if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8)
        throw refuse(file, 'UNSUPPORTED', name, `uses compression method ${entry.compressionMethod}; only stored and deflate are read`);
      const size = entry.uncompressedSize;
      if (size > lim.maxEntryBytes) throw refuse(file, 'TOO_LARGE', name, `declares ${size} bytes; the limit for one file is ${lim.maxEntryBytes}`);
      total += size;
      if (total > lim.maxTotalBytes) throw refuse(file, 'TOO_LARGE', name, `brings the bundle past ${lim.maxTotalBytes} bytes uncompressed`);
      if (size > RATIO_FLOOR && size > entry.compressedSize * lim.maxRatio)
        throw refuse(file, 'RATIO', name, `inflates ${size} bytes from ${entry.compressedSize} (more than ${lim.maxRatio}:1): a zip bomb`);
      files.push(entry);
    }

    // Entries sharing compressed bytes multiply output without a high per-entry ratio (Fifield's
    // overlapping bomb). Each local header is at least 30 bytes followed by its data; none may overlap.
    spans.sort((a, b) => a.start - b.start);
    for (let i = 1; i < spans.length; i++) if (spans[i - 1]!.end > spans[i]!.start) throw refuse(file, 'OVERLAP', spans[i]!.name, `shares bytes with entry ${JSON.stringify(spans[i - 1]!.name)}`);

    // Pass 2: inflate, each entry into a buffer of exactly its declared size.
    const out = new Map<string, Buffer>();
    for (const entry of files) {
      current = entry.fileName;
      // Streaming unzippers read the local header, yauzl the central directory: they must agree, or
      // the same bundle shows different files to different tools.
      const local = await zip.readLocalFileHeaderPromise(entry);
      if (!local.fileName.equals(entry.fileNameRaw) || local.compressionMethod !== entry.compressionMethod)
        throw refuse(file, 'HEADER_MISMATCH', current, 'has a local header that disagrees with the central directory');
      out.set(entry.fileName, await inflate(file, entry, await zip.openReadStreamPromise(entry)));
    }
    return out;
  } catch (err) {
    throw asRefusal(err, file, current);
  } finally {
    zip?.close();
  }
}

/**
 * Copies an entry's stream into a buffer of its declared size. yauzl's validateEntrySizes already fails
 * a stream that runs long; this counter is our own guarantee, so memory never exceeds the declared size
 * (itself within the limits) plus the one chunk in hand.
 */
function inflate(file: string, entry: yauzl.Entry, stream: Readable): Promise<Buffer> {
  const name = entry.fileName;
  const size = entry.uncompressedSize;
  const buf = Buffer.allocUnsafe(size);
  let got = 0;
  let crc = 0;
  return new Promise((resolve, reject) => {
    const fail = (err: unknown) => {
      stream.destroy();
      reject(asRefusal(err, file, name));
    };
    stream.on('data', (chunk: Buffer) => {
      if (got + chunk.length > size) return fail(refuse(file, 'SIZE_MISMATCH', name, `inflates past its declared ${size} bytes`));
      chunk.copy(buf, got);
      got += chunk.length;
      crc = zlib.crc32(chunk, crc);
    });
    stream.on('error', fail);
    stream.on('end', () => {
      if (got !== size) return fail(refuse(file, 'SIZE_MISMATCH', name, `inflates to ${got} bytes, not the declared ${size}`));
      // yauzl does not check CRCs; a damaged entry must not pass for the real one.
      if (crc >>> 0 !== entry.crc32 >>> 0) return fail(refuse(file, 'CRC_MISMATCH', name, 'fails its CRC-32 check (damaged)'));
      resolve(buf);
    });
  });
}

// Local-time 1980-01-01, made at each call: yazl encodes DOS times from local fields, so this is
// 1980-01-01 00:00 in the zip whatever the time zone is when we write (a constant made at load time
// would shift if TZ changed); forceDosTimestamp drops the UTC extra field that would differ.
const fixedMtime = () => new Date(1980, 0, 1, 0, 0, 0);

/**
 * Writes entries as a zip that is byte-identical for the same entries: sorted paths, fixed time and
 * mode, deflate. The zip goes to `file.tmp-<random>` and is renamed into place once synced, so a
 * failure never leaves a half-written zip under the final name.
 */
export async function writeZip(file: string, entries: { path: string; data: Buffer }[]): Promise<{ bytes: number }> {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const names = new NameSet();
  for (const e of sorted) {
    const problem = e.path.endsWith('/') ? { reason: 'BAD_NAME' as const, why: 'is a folder name' } : nameProblem(e.path);
    if (problem) throw refuse(file, problem.reason, e.path, `cannot be written: it ${problem.why}`);
    const clash = names.add(e.path, false);
    if (clash) throw refuse(file, 'DUPLICATE', e.path, `cannot be written: it ${clash}`);
  }
  const zip = new (yazlLib().ZipFile)();
  const mtime = fixedMtime();
  for (const e of sorted) zip.addBuffer(e.data, e.path, { mtime, mode: S_IFREG | 0o644, compress: true, compressionLevel: 6, forceDosTimestamp: true });
  zip.end();

  const tmp = `${file}.tmp-${randomBytes(8).toString('hex')}`;
  const fh = await open(tmp, 'wx');
  let bytes = 0;
  try {
    for await (const chunk of zip.outputStream as AsyncIterable<Buffer>) {
      await fh.write(chunk);
      bytes += chunk.length;
    }
    await fh.sync(); // the rename must not land before the bytes do
    await fh.close();
    await rename(tmp, file);
    return { bytes };
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
}
