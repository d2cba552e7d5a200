// The review-bundle zip reader against hand-built hostile zips, and the deterministic writer.
// Hostile zips are assembled byte by byte below, because zip libraries refuse to write most of them.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineError } from '../../src/main/errors';
import { DEFAULT_ZIP_LIMITS, readZip, writeZip, type ZipLimits, type ZipRefusalDetails } from '../../src/main/review/bundle-zip';
import { tempDir } from '../support/tunebench';

const MiB = 1024 * 1024;
const UNIX = (3 << 8) | 20; // "version made by": Unix, spec 2.0, so extractors honour the mode bits

interface Raw {
  name: string | Buffer;
  data?: Buffer; // the bytes as stored in the file (already deflated when method is 8)
  method?: number;
  crc?: number;
  size?: number; // declared uncompressed size
  flags?: number;
  attr?: number; // external attributes; Unix mode in the high 16 bits
  offset?: number; // point the central entry at another entry's local header
  localName?: Buffer;
}

/** Assembles local headers, data, central directory and end record exactly as told, lies included. */
function rawZip(entries: Raw[]): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let at = 0;
  for (const e of entries) {
    const name = Buffer.isBuffer(e.name) ? e.name : Buffer.from(e.name, 'utf8');
    const data = e.data ?? Buffer.alloc(0);
    const [method, crc, size, flags] = [e.method ?? 0, e.crc ?? zlib.crc32(data), e.size ?? data.length, e.flags ?? 0x800];
    const localName = e.localName ?? name;
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(flags, 6);
    lh.writeUInt16LE(method, 8);
    lh.writeUInt16LE(0x21, 12); // 1980-01-01
    lh.writeUInt32LE(crc >>> 0, 14);
    lh.writeUInt32LE(data.length, 18);
    lh.writeUInt32LE(size, 22);
    lh.writeUInt16LE(localName.length, 26);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(UNIX, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(flags, 8);
    ch.writeUInt16LE(method, 10);
    ch.writeUInt16LE(0x21, 14);
    ch.writeUInt32LE(crc >>> 0, 16);
    ch.writeUInt32LE(data.length, 20);
    ch.writeUInt32LE(size, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE((e.attr ?? 0o100644 << 16) >>> 0, 38);
    ch.writeUInt32LE(e.offset ?? at, 42);
    parts.push(lh, localName, data);
    central.push(ch, name);
    at += 30 + localName.length + data.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(at, 16);
  return Buffer.concat([...parts, cd, end]);
}

const deflated = (name: string, content: Buffer, over: Partial<Raw> = {}): Raw => ({
  name,
  data: zlib.deflateRawSync(content),
  method: 8,
  crc: zlib.crc32(content),
  size: content.length,
  ...over,
});
const ok: Raw = { name: 'ok.txt', data: Buffer.from('fine\n') };

/** Deflates `bytes` zeros one reused MiB at a time: the bomb never exists uncompressed. */
async function zeroBomb(bytes: number): Promise<{ data: Buffer; crc: number }> {
  const zero = Buffer.alloc(MiB);
  const d = zlib.createDeflateRaw({ level: 9 });
  const chunks: Buffer[] = [];
  d.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise((resolve) => d.on('end', resolve));
  let crc = 0;
  for (let i = 0; i < bytes / MiB; i++) {
    crc = zlib.crc32(zero, crc);
    if (!d.write(zero)) await new Promise((resolve) => d.once('drain', resolve));
  }
  d.end();
  await done;
  return { data: Buffer.concat(chunks), crc };
}

let dir: string;
let n = 0;
const measured: { case: string; reason: string; ms: number; rssMB: number; zipKB: number }[] = [];

function put(zip: Buffer): string {
  const file = path.join(dir, `case-${++n}.zip`);
  fs.writeFileSync(file, zip);
  return file;
}

/** Runs readZip expecting a refusal; records time and peak RSS growth (sampled while it runs). */
async function refusal(label: string, file: string, limits?: Partial<ZipLimits>) {
  global.gc?.();
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 2);
  const t0 = performance.now();
  let caught: unknown;
  try {
    await readZip(file, limits);
  } catch (err) {
    caught = err;
  }
  const ms = performance.now() - t0;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  expect(caught, `${label} was accepted`).toBeInstanceOf(EngineError);
  const err = caught as EngineError;
  expect(err.code).toBe((err.details as { reason?: string })?.reason === 'UNREADABLE' ? 'VALIDATION_FAILED' : 'BUNDLE_INVALID');
  const details = err.details as ZipRefusalDetails;
  const rssMB = (peak - base) / MiB;
  measured.push({ case: label, reason: details.reason, ms: Math.round(ms), rssMB: Math.round(rssMB), zipKB: fs.existsSync(file) ? Math.ceil(fs.statSync(file).size / 1024) : 0 });
  return { err, details, ms, rssMB };
}

async function expectRefused(label: string, zip: Buffer, reason: string, entry: string | null, limits?: Partial<ZipLimits>) {
  const { err, details } = await refusal(label, put(zip), limits);
  expect(details).toEqual({ reason, entry });
  if (entry !== null) expect(err.message).toContain(JSON.stringify(entry));
  return err;
}

// Places a traversal could have landed: relative to the zip's folder, the cwd, the temp root, '/'.
const escapes = () => [path.join(os.tmpdir(), 'evil'), path.resolve('evil'), path.resolve('..', 'evil'), path.resolve('C:\\evil'), '/evil'];

beforeAll(() => {
  dir = tempDir('tb-zip-');
  for (const p of escapes()) expect(fs.existsSync(p), `${p} existed before the test`).toBe(false);
});

afterAll(() => {
  console.log(measured.map((m) => `${m.case}: ${m.reason} in ${m.ms} ms, +${m.rssMB} MB rss, zip ${m.zipKB} KB`).join('\n'));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('readZip refuses hostile names', () => {
  it.each([
    ['../evil', 'PATH_TRAVERSAL'],
    ['a/../../evil', 'PATH_TRAVERSAL'],
    ['a\\..\\..\\evil', 'PATH_TRAVERSAL'],
    ['/etc/passwd', 'ABSOLUTE_PATH'],
    ['C:\\evil', 'ABSOLUTE_PATH'],
    ['c:evil', 'ABSOLUTE_PATH'],
    ['\\\\server\\share\\evil', 'ABSOLUTE_PATH'],
    ['dir\\evil', 'BAD_NAME'],
    ['a\u0000b', 'BAD_NAME'],
    ['a\nb', 'BAD_NAME'],
    ['report\u202elmth.exe', 'BAD_NAME'],
    ['a//b', 'BAD_NAME'],
    ['./a', 'BAD_NAME'],
    ['a/evil:stream', 'BAD_NAME'],
    ['evil.', 'BAD_NAME'],
  ])('%j -> %s', async (name, reason) => {
    await expectRefused(`name ${JSON.stringify(name)}`, rawZip([ok, { name, data: Buffer.from('x') }]), reason, name);
  });

  it('wrote nothing anywhere a traversal could reach; the temp folder holds only the test zips', () => {
    for (const p of escapes()) expect(fs.existsSync(p), p).toBe(false);
    expect(fs.readdirSync(dir).every((f) => /^case-\d+\.zip$/.test(f))).toBe(true);
  });
});

describe('readZip refuses links and special files', () => {
  it('refuses a symlink to /etc/passwd', async () => {
    const link = { name: 'passwd', data: Buffer.from('/etc/passwd'), attr: (0o120777 << 16) >>> 0 };
    await expectRefused('symlink', rawZip([ok, link]), 'LINK', 'passwd');
  });

  it.each([
    ['fifo', 0o010644],
    ['char device', 0o020644],
    ['socket', 0o140644],
  ])('refuses a %s', async (label, mode) => {
    await expectRefused(label, rawZip([{ name: 'dev', attr: (mode << 16) >>> 0 }]), 'NOT_REGULAR', 'dev');
  });

  it('refuses a folder mode on a file name, and a folder name with data', async () => {
    await expectRefused('dir mode, file name', rawZip([{ name: 'd', attr: (0o040755 << 16) >>> 0 }]), 'NOT_REGULAR', 'd');
    await expectRefused('dir name with data', rawZip([{ name: 'd/', data: Buffer.from('x') }]), 'NOT_REGULAR', 'd/');
  });

  it('skips folder entries and reads the files in them', async () => {
    const zip = rawZip([
      { name: 'd/', attr: (0o040755 << 16) >>> 0 },
      { name: 'd/f.txt', data: Buffer.from('hi') },
    ]);
    expect([...(await readZip(put(zip))).entries()]).toEqual([['d/f.txt', Buffer.from('hi')]]);
  });
});

describe('readZip refuses duplicates', () => {
  it.each([
    ['exact', 'a.txt', 'a.txt'],
    ['case-only', 'README.md', 'readme.md'],
    ['NFC vs NFD', 'caf\u00e9.txt', 'cafe\u0301.txt'],
    ['file and folder', 'cases', 'Cases/1.json'],
  ])('%s', async (label, first, second) => {
    const zip = rawZip([
      { name: first, data: Buffer.from('1') },
      { name: second, data: Buffer.from('2') },
    ]);
    await expectRefused(`duplicate ${label}`, zip, 'DUPLICATE', second);
  });
});

describe('readZip bounds entries, sizes and memory', () => {
  it('refuses 20,000 tiny entries', async () => {
    const zip = rawZip(Array.from({ length: 20_000 }, (_, i) => ({ name: `f${i}`, data: Buffer.from('x') })));
    const { details, ms } = await refusal('20,000 entries', put(zip));
    expect(details).toEqual({ reason: 'TOO_MANY_ENTRIES', entry: null });
    expect(ms).toBeLessThan(2000);
  });

  it('refuses one entry over a lowered maxEntries', async () => {
    const zip = rawZip(Array.from({ length: 4 }, (_, i) => ({ name: `f${i}` })));
    await expectRefused('4 entries, limit 3', zip, 'TOO_MANY_ENTRIES', null, { maxEntries: 3 });
    expect((await readZip(put(zip), { maxEntries: 4 })).size).toBe(4);
  });

  it('refuses a header that says 10 bytes for data that inflates to 10 MB', async () => {
    const zip = rawZip([deflated('records.jsonl', Buffer.alloc(10_000_000), { size: 10 })]);
    const { details, rssMB } = await refusal('size lie 10 B -> 10 MB', put(zip));
    expect(details).toEqual({ reason: 'SIZE_MISMATCH', entry: 'records.jsonl' });
    expect(rssMB).toBeLessThan(50);
  });

  it('refuses data shorter than declared, and a wrong CRC', async () => {
    await expectRefused('short data', rawZip([deflated('a', Buffer.alloc(1000), { size: 2000 })]), 'SIZE_MISMATCH', 'a');
    await expectRefused('bad crc', rawZip([deflated('a', Buffer.from('hello'), { crc: 1234 })]), 'CRC_MISMATCH', 'a');
  });

  it('refuses entries past maxEntryBytes and maxTotalBytes by declared size', async () => {
    const two = rawZip([deflated('a', randomBytes(MiB)), deflated('b', randomBytes(MiB))]);
    await expectRefused('entry over cap', two, 'TOO_LARGE', 'a', { maxEntryBytes: MiB - 1 });
    await expectRefused('total over cap', two, 'TOO_LARGE', 'b', { maxTotalBytes: 1.5 * MiB });
  });

  describe('a 1 GiB zip bomb', () => {
    let bomb: { data: Buffer; crc: number };
    beforeAll(async () => {
      bomb = await zeroBomb(1024 * MiB);
    });
    const bombZip = (size: number) => rawZip([ok, { name: 'weights.bin', data: bomb.data, method: 8, crc: bomb.crc, size }]);

    const quick = (r: { ms: number; rssMB: number }) => {
      expect(r.ms).toBeLessThan(10_000);
      expect(r.rssMB).toBeLessThan(300);
    };

    it('is a few MB on disk and refused by its declared size', async () => {
      const file = put(bombZip(1024 * MiB));
      expect(fs.statSync(file).size).toBeLessThan(3 * MiB);
      const r = await refusal('1 GiB bomb, honest header', file);
      expect(r.details).toEqual({ reason: 'TOO_LARGE', entry: 'weights.bin' });
      quick(r);
    });

    it('is refused by its ratio when the size caps would allow it', async () => {
      const r = await refusal('1 GiB bomb, caps raised', put(bombZip(1024 * MiB)), { maxEntryBytes: 4096 * MiB, maxTotalBytes: 4096 * MiB });
      expect(r.details).toEqual({ reason: 'RATIO', entry: 'weights.bin' });
      quick(r);
    });

    it('stops inflating at once when the header says 10 bytes', async () => {
      const r = await refusal('1 GiB bomb, header says 10 B', put(bombZip(10)));
      expect(r.details).toEqual({ reason: 'SIZE_MISMATCH', entry: 'weights.bin' });
      // Inflating the whole GiB to find the lie takes seconds; stopping at the 10th byte takes milliseconds.
      expect(r.ms).toBeLessThan(1000);
      expect(r.rssMB).toBeLessThan(50);
    });

    it('stops inflating at the declared size when the header lies (100 MiB declared)', async () => {
      const r = await refusal('1 GiB bomb, header says 100 MiB', put(bombZip(100 * MiB)));
      expect(r.details).toEqual({ reason: 'SIZE_MISMATCH', entry: 'weights.bin' });
      quick(r);
    });
  });

  it('refuses entries that share compressed bytes (overlapping bomb)', async () => {
    const zip = rawZip([deflated('a', Buffer.alloc(1000)), { ...deflated('b', Buffer.alloc(1000)), offset: 0 }]);
    await expectRefused('overlap', zip, 'OVERLAP', 'b');
  });

  it('refuses a local header whose name disagrees with the central directory', async () => {
    await expectRefused('local name', rawZip([{ name: 'a.txt', localName: Buffer.from('b.txt'), data: Buffer.from('x') }]), 'HEADER_MISMATCH', 'a.txt');
  });

  it('refuses encrypted entries and unknown compression', async () => {
    await expectRefused('encrypted', rawZip([{ name: 'a', data: Buffer.alloc(12 + 5), size: 5, flags: 0x801 }]), 'ENCRYPTED', 'a');
    await expectRefused('bzip2', rawZip([{ name: 'a', data: Buffer.from('BZh9'), method: 12, size: 4 }]), 'UNSUPPORTED', 'a');
  });
});

describe('readZip refuses what is not a zip', () => {
  const good = rawZip([ok, deflated('b.txt', Buffer.from('b'.repeat(5000)))]);
  it.each([
    ['random bytes', randomBytes(4096), 'NOT_ZIP'],
    ['an empty file', Buffer.alloc(0), 'NOT_ZIP'],
    ['the first half of a zip', good.subarray(0, good.length >> 1), 'NOT_ZIP'],
    ['a zip with its middle cut out', Buffer.concat([good.subarray(0, 40), good.subarray(good.length - 22)]), 'CORRUPT'],
  ])('%s', async (label, bytes, reason) => {
    const { err, details } = await refusal(label, put(bytes));
    expect(details.reason).toBe(reason);
    expect(err.message).toMatch(/is not a (valid )?zip file/);
  });

  it('says a missing file cannot be read', async () => {
    const { err, details } = await refusal('missing file', path.join(dir, 'nope.zip'));
    expect(details).toEqual({ reason: 'UNREADABLE', entry: null });
    expect(err.message).toContain('nope.zip');
  });
});

describe('writeZip', () => {
  const entries = () => [
    { path: 'report.html', data: Buffer.from('<!doctype html><title>r</title>') },
    { path: 'records/candidate/case-001.json', data: Buffer.from(JSON.stringify({ id: 1, out: 'é'.repeat(100) })) },
    { path: 'records/baseline/case-001.json', data: Buffer.from('{}') },
    { path: 'empty.txt', data: Buffer.alloc(0) },
    { path: 'raw/harness.log', data: randomBytes(3 * MiB) },
  ];

  it('round-trips through readZip', async () => {
    const file = path.join(dir, 'bundle.zip');
    const { bytes } = await writeZip(file, entries());
    expect(bytes).toBe(fs.statSync(file).size);
    const back = await readZip(file);
    expect(new Map(entries().map((e) => [e.path, e.data])).size).toBe(back.size);
    for (const e of entries().slice(0, 4)) expect(back.get(e.path)).toEqual(e.data);
    expect(back.get('raw/harness.log')!.length).toBe(3 * MiB);
    fs.rmSync(file);
  });

  it('is byte-identical for the same entries in any order, in any time zone', async () => {
    const data = entries().slice(0, 4);
    const [a, b] = [path.join(dir, 'a.zip'), path.join(dir, 'b.zip')];
    await writeZip(a, data);
    const tz = process.env.TZ;
    process.env.TZ = 'Pacific/Kiritimati';
    await writeZip(b, [...data].reverse());
    if (tz === undefined) delete process.env.TZ;
    else process.env.TZ = tz;
    expect(fs.readFileSync(a).equals(fs.readFileSync(b))).toBe(true);
    // Other tools see sorted regular files with mode 644, dated 1980-01-01.
    const py = 'import sys,zipfile\nfor i in zipfile.ZipFile(sys.argv[1]).infolist(): print(i.filename, oct(i.external_attr >> 16), i.date_time[:3])';
    const listed = execFileSync('/usr/bin/python3', ['-c', py, a], { encoding: 'utf8' }).trim().split('\n');
    expect(listed).toEqual(
      [...data]
        .map((e) => e.path)
        .sort()
        .map((p) => `${p} 0o100644 (1980, 1, 1)`),
    );
    fs.rmSync(a);
    fs.rmSync(b);
  });

  it('leaves nothing under the final name, and no temp file, when it fails', async () => {
    const target = path.join(dir, 'taken');
    fs.mkdirSync(path.join(target, 'x'), { recursive: true }); // rename onto a non-empty folder fails
    await expect(writeZip(target, entries())).rejects.toThrow();
    expect(fs.readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(fs.statSync(target).isDirectory()).toBe(true);
    fs.rmSync(target, { recursive: true });
  });

  it('refuses names the reader would refuse, writing nothing', async () => {
    const file = path.join(dir, 'bad.zip');
    for (const bad of [
      [{ path: '../evil', data: Buffer.from('x') }],
      [
        { path: 'A', data: Buffer.alloc(0) },
        { path: 'a', data: Buffer.alloc(0) },
      ],
    ])
      await expect(writeZip(file, bad)).rejects.toMatchObject({ code: 'BUNDLE_INVALID' });
    expect(fs.existsSync(file)).toBe(false);
  });

  it('keeps its defaults as documented', () => {
    expect(DEFAULT_ZIP_LIMITS).toEqual({ maxEntries: 10_000, maxEntryBytes: 512 * MiB, maxTotalBytes: 2048 * MiB, maxRatio: 1000 });
  });
});
