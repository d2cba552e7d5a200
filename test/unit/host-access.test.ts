// What remote scripts print: the JSON result is their last line, whatever a shell start-up file printed first.
import { describe, expect, it } from 'vitest';
import { jsonOutput } from '../../src/main/hosts/host-access';

describe('remote script output', () => {
  it('reads the last line, so a chatty ~/.bashrc does not break probing', () => {
    expect(jsonOutput('Welcome to gpu1!\nconda activated\n{"ok": true}\n', 'Probing gpu1')).toEqual({ ok: true });
  });

  it('says what to do when there is no result', () => {
    expect(() => jsonOutput('Welcome to gpu1!\n', 'Probing gpu1')).toThrow(/did not print its result.*make it quiet for non-interactive shells/);
    let caught: unknown;
    try {
      jsonOutput('', 'Probing gpu1');
    } catch (err) {
      caught = err;
    }
    expect((caught as { code?: string } | undefined)?.code).toBe('REMOTE_COMMAND_FAILED');
  });
});
