// Pushing a 1 GiB model (four files of random bytes) to Debian's docker-registry over loopback through the
// app's push path, beside curl uploading the same bytes to the same registry (POST, then one PUT per blob);
// and the pushing process's peak memory (target <= 200 MB: files stream, they are never held whole).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { startRegistry } from '../test/support/registry.mjs';
import { ratio, ROOT, runSync, tempDir } from './util.mjs';

const FILES = 4;
const FILE_BYTES = 256 * 1024 * 1024;

function makeFiles(dir) {
  const files = [];
  for (let i = 0; i < FILES; i++) {
    const file = path.join(dir, `model-0000${i}-of-0000${FILES}.safetensors`);
    const hash = crypto.createHash('sha256');
    const fd = fs.openSync(file, 'w');
    for (let done = 0; done < FILE_BYTES; done += 8 * 1024 * 1024) {
      const chunk = crypto.randomBytes(8 * 1024 * 1024);
      hash.update(chunk);
      fs.writeSync(fd, chunk);
    }
    fs.closeSync(fd);
    files.push({ file, sha256: hash.digest('hex'), size: FILE_BYTES });
  }
  return files;
}

function curlPush(baseUrl, repo, files) {
  const t0 = performance.now();
  for (const f of files) {
    const head = runSync('curl POST (start an upload)', 'curl', ['-s', '-D', '-', '-o', '/dev/null', '-X', 'POST', `${baseUrl}/v2/${repo}/blobs/uploads/`], { encoding: 'utf8' }, 60_000).stdout;
    const location = /^location:\s*(\S+)/im.exec(head)[1];
    const url = new URL(location, baseUrl);
    url.searchParams.set('digest', `sha256:${f.sha256}`);
    runSync('curl PUT of a 256 MiB layer', 'curl', ['-s', '-f', '-X', 'PUT', '-H', 'Content-Type: application/octet-stream', '--data-binary', `@${f.file}`, url.href], {}, 600_000);
  }
  return (performance.now() - t0) / 1000;
}

async function figure() {
  process.stderr.write('  writing 1 GiB of random model files, starting docker-registry…\n');
  const dir = tempDir('tb-bench-push-');
  const files = makeFiles(dir);
  const registry = await startRegistry({ auth: 'none' });
  const mib = (FILES * FILE_BYTES) / 1024 / 1024;
  try {
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const child = runSync(
        'our push of 1 GiB (bench/push-child.mjs)',
        process.execPath,
        [path.join(ROOT, 'bench/push-child.mjs'), registry.url, `ours${i}`, JSON.stringify(files)],
        { encoding: 'utf8', maxBuffer: 1024 * 1024 },
        600_000,
      );
      const ours = JSON.parse(child.stdout.trim().split('\n').pop());
      const curl = curlPush(registry.url, `curl${i}`, files);
      runs.push({ ...ours, curl });
    }
    const best = runs.reduce((a, b) => (a.seconds + a.curl < b.seconds + b.curl ? a : b));
    const rss = Math.max(...runs.map((r) => r.maxRssMb));
    return [
      {
        name: `registry push: 1 GiB (4 files) to docker-registry, rate`,
        ours: `${(mib / best.seconds).toFixed(0)} MiB/s`,
        baseline: `${(mib / best.curl).toFixed(0)} MiB/s`,
        baselineName: 'curl POST + PUT, same bytes',
        ratio: ratio(best.seconds, best.curl),
      },
      { name: 'registry push: peak RSS of the pushing process', ours: `${rss.toFixed(0)} MB`, baseline: '200 MB', baselineName: 'target', ratio: `${(rss / 200).toFixed(2)}x` },
    ];
  } finally {
    await registry.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export const figures = [{ name: 'registry: push 1 GiB', run: figure }];
