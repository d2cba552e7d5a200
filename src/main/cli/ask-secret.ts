// Reads a secret from the terminal without echoing it. The text goes straight to the engine's memory.
import { EngineError } from '../errors';

const cancelled = () => new EngineError('BAD_USAGE', 'Cancelled: no passphrase given. Run the command again, or add the key to your SSH agent with ssh-add.');

export function askSecret(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    let value = '';
    stdin.setRawMode(true);
    stdin.resume();
    stdin.setEncoding('utf8');
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003' || ch === '\u0004') return done(cancelled()); // Ctrl-C, Ctrl-D
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    const onEnd = () => done(cancelled());
    stdin.on('data', onData);
    stdin.on('end', onEnd);
  });
}
