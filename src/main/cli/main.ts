// The `tunebench` command: `tunebench <noun> <verb>` over the same engine and data directory as the app.
import type { ErrorInfo } from '../../shared/errors';
import { askSecret } from './ask-secret';
import { exitCodeFor, formatError } from './report-error';
import { withEngine } from './with-engine';
import { openEngine } from '../app';
import { toErrorInfo } from '../errors';
import { CallError } from '../rpc/dispatch';
import { APP_VERSION } from '../version';
import { GLOBAL_FLAGS, parseArgs, usageError, type FlagSpecs } from './args';
import type { CliIO, Command, CommandContext } from './command';
import { candidateCommands } from './commands/candidate';
import { demoCommands } from './commands/demo';
import { hostCommands } from './commands/host';
import { projectCommands } from './commands/project';
import { runCommands } from './commands/run';
import { serveCommand } from './commands/serve';
import { sweepCommands } from './commands/sweep';
import { continuousCommands } from './commands/continuous';
import { testingCommands } from './commands/testing';
import { reviewCommands } from './commands/review';
import { registryCommands } from './commands/registry';

export const COMMANDS: readonly Command[] = [
  ...projectCommands,
  ...candidateCommands,
  ...sweepCommands,
  ...continuousCommands,
  ...hostCommands,
  ...runCommands,
  ...testingCommands,
  ...reviewCommands,
  ...registryCommands,
  ...demoCommands,
  serveCommand,
];

const NOUN_SUMMARIES: Record<string, string> = {
  project: 'Create, list and change projects',
  host: 'Add, trust and probe the machines runs train on',
  run: 'Launch, follow, cancel and export runs',
  demo: 'Synthetic data to explore and benchmark with',
  candidate: 'Propose and list production candidates',
  suite: 'Add, list and show test suites',
  test: 'Test a candidate against production: verdicts, waivers, reports, the gate policy',
  review: 'Review bundles (offline) and signed decisions on them',
  registry: 'Push approved models to OCI registries or SSH folders; aliases, verify, pull',
  approval: "A project's signed decisions: import, list, verify the chain, export for ssh-keygen",
};

function flagLines(flags: FlagSpecs): string {
  const rows = Object.entries(flags).map(([name, f]) => [`--${name}${f.value ? ` ${f.value}` : ''}`, f.help] as const);
  const width = Math.max(0, ...rows.map(([l]) => l.length));
  return rows.map(([l, h]) => `  ${l.padEnd(width)}  ${h}`).join('\n');
}

function topHelp(): string {
  const nouns = [...new Set(COMMANDS.map((c) => c.path[0]!))];
  const lines = nouns.map((n) => {
    const single = COMMANDS.find((c) => c.path[0] === n && c.path.length === 1);
    return `  ${n.padEnd(10)} ${single?.summary ?? NOUN_SUMMARIES[n] ?? ''}`;
  });
  return `Tunebench ${APP_VERSION}: a workbench for fine-tuning LLMs on remote GPUs.

Usage: tunebench <command> [options]

Commands:
${lines.join('\n')}

Global options:
${flagLines(GLOBAL_FLAGS)}
  --version  Print the version

Run \`tunebench <command> --help\` for more.
Exit codes: 0 success, 2 bad usage or invalid input, 1 anything else.
`;
}

function nounHelp(noun: string): string {
  const verbs = COMMANDS.filter((c) => c.path[0] === noun);
  return `Usage: tunebench ${noun} <verb> [options]

${NOUN_SUMMARIES[noun] ?? ''}

Verbs:
${verbs.map((c) => `  ${c.path.slice(1).join(' ').padEnd(10)} ${c.summary}`).join('\n')}

Run \`tunebench ${noun} <verb> --help\` for more.
`;
}

function commandHelp(c: Command): string {
  const usage = [`tunebench ${c.path.join(' ')}`, ...c.positionals.map((p) => (p.required ? p.name : `[${p.name}]`))];
  if (Object.keys(c.flags).length) usage.push('[options]');
  const args = c.positionals.map((p) => `  ${p.name.padEnd(10)} ${p.help}`).join('\n');
  return `Usage: ${usage.join(' ')}

${c.summary}.
${args ? `\nArguments:\n${args}\n` : ''}${Object.keys(c.flags).length ? `\nOptions:\n${flagLines(c.flags)}\n` : ''}
Global options:
${flagLines(GLOBAL_FLAGS)}
`;
}

function reportError(info: ErrorInfo, json: boolean, io: CliIO): number {
  io.stderr(formatError(info, json));
  return exitCodeFor(info);
}

/** Passphrases the user typed in this process, so a retried command can use them. Memory only. */
const passphrases = new Map<string, string>();

export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  const json = argv.includes('--json');
  try {
    if (argv.length === 1 && argv[0] === '--version') {
      io.stdout(json ? JSON.stringify({ version: APP_VERSION }) + '\n' : `${APP_VERSION}\n`);
      return 0;
    }
    const { globals, rest: local } = splitGlobalFlags(argv);
    const wantsHelp = globals.includes('--help') || globals.includes('-h');
    // The command is the longest path of leading words that names one.
    const command = [...COMMANDS].sort((a, b) => b.path.length - a.path.length).find((c) => c.path.every((w, i) => local[i] === w));
    if (!command) {
      const noun = local[0];
      if (noun && COMMANDS.some((c) => c.path[0] === noun)) {
        if (wantsHelp || local.length === 1) {
          io.stdout(nounHelp(noun));
          return wantsHelp ? 0 : 2;
        }
        throw usageError(`Unknown command \`${noun} ${local[1]}\`. See \`tunebench ${noun} --help\`.`);
      }
      if (wantsHelp || argv.length === 0) {
        io.stdout(topHelp());
        return argv.length === 0 ? 2 : 0;
      }
      throw usageError(`Unknown command \`${noun ?? argv[0]}\`. See \`tunebench --help\`.`);
    }
    const name = `tunebench ${command.path.join(' ')}`;
    const args = parseArgs([...globals, ...local.slice(command.path.length)], command.flags, name);
    if (args.flags.help) {
      io.stdout(commandHelp(command));
      return 0;
    }
    const required = command.positionals.filter((p) => p.required);
    if (args.positionals.length < required.length) {
      throw usageError(`Missing ${required[args.positionals.length]!.name}. Usage: ${commandHelp(command).split('\n')[0]!.replace('Usage: ', '')}`);
    }
    if (args.positionals.length > command.positionals.length) {
      throw usageError(`Too many arguments for \`${name}\`: ${args.positionals.slice(command.positionals.length).join(' ')}. Quote values with spaces.`);
    }
    const dataDir = typeof args.flags['data-dir'] === 'string' ? args.flags['data-dir'] : undefined;
    const ctx: CommandContext = {
      io,
      json,
      dataDir,
      openEngine: (options) => openEngine({ dataDir: dataDir ?? io.env.TUNEBENCH_HOME, passphrases, ...options }),
      print: (data, human) => io.stdout(json ? JSON.stringify(data, null, 2) + '\n' : human()),
    };
    try {
      return await command.run(ctx, args);
    } catch (err) {
      const keyFile = err instanceof CallError && err.code === 'PASSPHRASE_REQUIRED' ? (err.info.details as { keyFile?: string })?.keyFile : undefined;
      if (!keyFile || !io.askSecret) throw err;
      const passphrase = await io.askSecret(`Passphrase for ${keyFile}: `);
      await withEngine(ctx, (call) => call('hosts.unlockKey', { keyFile, passphrase }));
      return await command.run(ctx, args);
    }
  } catch (err) {
    const info = err instanceof CallError ? err.info : toErrorInfo(err);
    if (info.code === 'INTERNAL' && !json) io.stderr(`${(err as Error).stack ?? ''}\n`);
    return reportError(info, json, io);
  }
}

/** Pulls global flags (and their values) out from anywhere before `--`, so they may come before or after the command. */
function splitGlobalFlags(argv: readonly string[]): { globals: string[]; rest: string[] } {
  const globals: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    const name = token.startsWith('--') ? token.slice(2).split('=')[0]! : token === '-h' ? 'help' : '';
    const spec = Object.hasOwn(GLOBAL_FLAGS, name) ? GLOBAL_FLAGS[name] : undefined;
    if (!spec) {
      rest.push(token);
      continue;
    }
    globals.push(token);
    if (spec.kind !== 'boolean' && !token.includes('=') && i + 1 < argv.length) globals.push(argv[++i]!);
  }
  return { globals, rest };
}

export async function main(argv: readonly string[]): Promise<number> {
  return runCli(argv, {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    env: process.env,
    ...(process.stdin.isTTY && process.stderr.isTTY ? { askSecret } : {}),
  });
}
