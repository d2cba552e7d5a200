// The one dispatcher: every transport hands it (method, raw input) and gets an envelope back. Never throws.
import { z } from 'zod';
import { methods, type MethodInput, type MethodName, type MethodOutput } from '../../shared/contract';
import type { Envelope, ErrorInfo } from '../../shared/errors';
import { toErrorInfo } from '../errors';

export type Transport = 'ipc' | 'websocket' | 'direct';
export interface CallContext {
  transport: Transport;
}

export type Handlers = {
  [M in MethodName]: (input: z.output<(typeof methods)[M]['input']>, ctx: CallContext) => MethodOutput<M> | Promise<MethodOutput<M>>;
};

export type Dispatch = (method: unknown, input: unknown, ctx: CallContext) => Promise<Envelope<unknown>>;

const MAX_ISSUES = 20;

function validationError(method: string, error: z.ZodError): ErrorInfo {
  const issues = error.issues.slice(0, MAX_ISSUES).map((i) => ({
    path: i.path.map(String).join('.'),
    message: i.message,
  }));
  const first = issues[0];
  const where = first && first.path ? `${first.path}: ` : '';
  return {
    code: 'VALIDATION_FAILED',
    message: `Invalid input for ${method}. ${where}${first?.message ?? 'The input does not match the expected shape.'}`,
    details: { issues },
  };
}

export function isMethodName(name: unknown): name is MethodName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(methods, name);
}

export function createDispatch(handlers: Handlers, options: { checkOutputs?: boolean } = {}): Dispatch {
  return async (method, rawInput, ctx) => {
    if (!isMethodName(method)) {
      const shown = typeof method === 'string' ? `"${method.slice(0, 80)}"` : `a ${typeof method}`;
      return { ok: false, error: { code: 'UNKNOWN_METHOD', message: `There is no method ${shown}. Update the app, or check the method name.` } };
    }
    const spec = methods[method];
    const parsed = spec.input.safeParse(rawInput === undefined ? {} : rawInput);
    if (!parsed.success) return { ok: false, error: validationError(method, parsed.error) };
    try {
      const handler = handlers[method] as (input: unknown, ctx: CallContext) => unknown;
      const data = await handler(parsed.data, ctx);
      if (options.checkOutputs) spec.output.parse(data);
      return { ok: true, data };
    } catch (err) {
      const info = toErrorInfo(err);
      if (info.code === 'INTERNAL') console.error(`tunebench: ${method} failed:`, err);
      return { ok: false, error: info };
    }
  };
}

/** A typed direct caller over a dispatch, for the CLI and tests. Throws CallError on failure. */
export class CallError extends Error {
  constructor(readonly info: ErrorInfo) {
    super(info.message);
    this.name = 'CallError';
  }
  get code() {
    return this.info.code;
  }
}

export function directCaller(dispatch: Dispatch) {
  return async <M extends MethodName>(method: M, input: MethodInput<M>): Promise<MethodOutput<M>> => {
    const result = await dispatch(method, input, { transport: 'direct' });
    if (!result.ok) throw new CallError(result.error);
    return result.data as MethodOutput<M>;
  };
}
