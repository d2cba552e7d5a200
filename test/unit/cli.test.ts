// The CLI in-process: parsing, help, exit codes and error output (the integration tests run the real binary).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/main/cli/main';
import { tempDir } from '../support/tunebench';

async function run(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {} });
  return { code, stdout, stderr };
}

describe('the tunebench command', () => {
  it('has --help at every level', async () => {
    const top = await run(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/project\s+Create, list and change projects/);
    expect(top.stdout).toMatch(/serve/);
    const noun = await run(['project', '--help']);
    expect(noun.stdout).toMatch(/rename/);
    const verb = await run(['project', 'create', '-h']);
    expect(verb.code).toBe(0);
    expect(verb.stdout).toMatch(/Usage: tunebench project create NAME/);
    expect(verb.stdout).toMatch(/--base-model MODEL/);
  });

  it('accepts global options before or after the command', async () => {
    const dir = tempDir();
    expect((await run(['--data-dir', dir, '--json', 'project', 'create', 'one'])).code).toBe(0);
    const listed = await run(['project', 'list', '--json', `--data-dir=${dir}`]);
    expect(JSON.parse(listed.stdout).map((p: { name: string }) => p.name)).toEqual(['one']);
  });

  it.each([
    [['frobnicate'], /Unknown command `frobnicate`/],
    [['project', 'explode'], /Unknown command `project explode`/],
    [['project', 'create'], /Missing NAME/],
    [['project', 'create', 'a', 'b'], /Too many arguments/],
    [['project', 'create', 'a', '--colour', 'red'], /Unknown option --colour/],
    [['project', 'create', 'a', '--description'], /--description needs a value/],
    [['serve', '--port', 'abc'], /--port must be a number/],
    [['serve', '--port', '70000'], /--port must be an integer from 0 to 65535/],
  ])('exits 2 with a usage error for %j', async (args, message) => {
    const r = await run([...args, '--data-dir', tempDir()]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error \[BAD_USAGE\]/);
    expect(r.stderr).toMatch(message);
  });

  it('writes a JSON error on stderr with --json, and nothing on stdout', async () => {
    const r = await run(['project', 'show', 'ghost', '--json', '--data-dir', tempDir()]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(JSON.parse(r.stderr)).toEqual({ error: { code: 'PROJECT_NOT_FOUND', message: expect.stringMatching(/project list/) } });
  });

  it('exits 1 when the data directory is unusable', async () => {
    const file = path.join(tempDir(), 'a-file');
    fs.writeFileSync(file, '');
    const r = await run(['project', 'list', '--json', '--data-dir', path.join(file, 'data')]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stderr).error.code).toBe('DATA_DIR_UNUSABLE');
  });

  it('prints a friendly table and key/value output for people', async () => {
    const dir = tempDir();
    await run(['project', 'create', 'alpha', '--base-model', 'Qwen/Qwen2.5-0.5B', '--data-dir', dir]);
    const list = await run(['project', 'list', '--data-dir', dir]);
    expect(list.stdout).toMatch(/^ID\s+NAME\s+BASE MODEL\s+UPDATED\n/);
    expect(list.stdout).toMatch(/alpha\s+Qwen\/Qwen2.5-0.5B/);
    const show = await run(['project', 'show', 'ALPHA', '--data-dir', dir]);
    expect(show.stdout).toMatch(/name:\s+alpha/);
  });
});
