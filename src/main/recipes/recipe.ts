// A recipe: typed parameters with defaults, and how to render a run's files and command from them.
import type { z } from 'zod';

export interface RenderContext {
  /** The host's Python command (a path, or an activation line then python). */
  python: string;
  /** The dataset's path inside the run directory, when the user gave a local file. */
  dataset?: string;
  /** Nodes of a SLURM job (the command runs once per node); 1 or absent elsewhere. */
  nodes?: number;
}

export interface RenderedRun {
  /** argv (no shell), or a string run by /bin/sh. */
  command: string[] | string;
  env: Record<string, string>;
  /** Files to put in the run directory: path relative to it -> contents. */
  files: Record<string, string | Buffer>;
}

export interface Recipe<S extends z.ZodType = z.ZodType> {
  name: string;
  summary: string;
  /** What the host needs, in words shown to the user. */
  needs: string;
  /** What of `needs` a host's probe can check: the lowest Python (e.g. "3.8") and the packages it must import. */
  requires?: { python?: string; packages?: string[] };
  params: S;
  help: Record<string, string>;
  /** Runs on several nodes of a SLURM job (torchrun across them, or the user's own command per node). */
  multiNode?: boolean;
  render(params: z.output<S>, ctx: RenderContext): RenderedRun;
}
