// Child of bench/registry.mjs: pushes model files through the app's real push path (OciModelBackend,
// chunks read from disk the way they are read from a host) and reports its time and peak memory.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ROOT } from './util.mjs';

const require = createRequire(import.meta.url);
const { OciModelBackend } = require(path.join(ROOT, 'dist/node/main/registry/oci-backend.js'));
const { LocalAccess } = require(path.join(ROOT, 'dist/node/main/hosts/host-access.js'));
const { modelConfig, modelManifest } = require(path.join(ROOT, 'dist/node/main/registry/modelpack.js'));

const [baseUrl, repoPrefix, filesJson] = process.argv.slice(2);
const files = JSON.parse(filesJson);
const access = new LocalAccess();
const target = { id: 'bench', name: 'bench', kind: 'oci', location: baseUrl, caFile: null, insecureHttp: false, username: null, createdAt: 0, baseUrl, prefix: repoPrefix, hostId: null, path: null };
const backend = new OciModelBackend(
  target,
  async () => null,
  () => [],
);
const modelFiles = files.map((f) => ({
  path: path.basename(f.file),
  sha256: f.sha256,
  size: f.size,
  source: { hostId: 'local', absPath: f.file },
  read: (offset, length) => access.readRange(f.file, offset, length),
}));
const config = modelConfig({ name: 'bench', version: 'v1', files: modelFiles, lineage: {}, approval: 'sha256:0', createdAt: '2026-11-29T00:00:00Z' });
const manifest = modelManifest(config, modelFiles, { 'dev.tunebench.version': 'v1' });
const statement = '{}';
const t0 = performance.now();
await backend.push(
  {
    model: 'bench',
    version: 'v1',
    files: modelFiles,
    config,
    manifest,
    approval: { payload: statement, signature: 'sig', digest: 'sha256:0', chain: [] },
    report: { html: '<p>bench</p>', json: '{}' },
    lineage: '{}',
    allowedSigners: '',
  },
  { sent() {}, skipped() {}, location: () => null, saveLocation() {} },
);
const seconds = (performance.now() - t0) / 1000;
backend.close();
process.stdout.write(JSON.stringify({ seconds, maxRssMb: process.resourceUsage().maxRSS / 1024 }) + '\n');
fs.closeSync(1);
