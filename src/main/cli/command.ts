// What a CLI command is: a path of words, its arguments, and a run function over the engine.
import type { Engine } from '../app';
import type { FlagSpecs, ParsedArgs } from './args';

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  /** Asks on the terminal without echo; absent when there is no terminal to ask on. */
  askSecret?: (prompt: string) => Promise<string>;
}

export interface CommandContext {
  io: CliIO;
  json: boolean;
  dataDir: string | undefined;
  /** Opens the engine on the chosen data directory; the caller closes it. */
  openEngine(options?: { externalChangePollMs?: number; runSyncIntervalMs?: number }): Engine;
  /** Prints data: JSON when --json, else the human rendering. */
  print(data: unknown, human: () => string): void;
}

export interface Positional {
  name: string;
  required: boolean;
  help: string;
}

export interface Command {
  path: readonly string[];
  summary: string;
  positionals: readonly Positional[];
  flags: FlagSpecs;
  /** Returns the exit code; long-running commands (serve) resolve when they stop. */
  run(ctx: CommandContext, args: ParsedArgs): Promise<number>;
}
