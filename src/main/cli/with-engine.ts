// Opens the engine for one command's calls and always closes it, so the database is never left open.
import type { CommandContext } from './command';

export type Call = ReturnType<CommandContext['openEngine']>['call'];

export async function withEngine<T>(ctx: CommandContext, fn: (call: Call) => Promise<T>): Promise<T> {
  const engine = ctx.openEngine();
  try {
    return await fn(engine.call);
  } finally {
    engine.close();
  }
}
