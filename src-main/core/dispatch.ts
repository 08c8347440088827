/**
 * The single entry to every operation: validate the argument against api.ts, run the handler,
 * and return a Reply that crosses any boundary (IPC, HTTP, CLI) as plain data.
 */
import { api, type Arg, type Handlers, type OpContext, type OpName, type Reply, type Result } from './api.ts';
import { MslensError, toWireError, type WireError } from './errors.ts';

export function isOpName(name: string): name is OpName {
  return Object.hasOwn(api, name);
}

/** The argument's first problem against api.ts, or null when it is valid. */
export function argumentError(name: OpName, raw: unknown): WireError | null {
  const parsed = api[name].input.safeParse(raw ?? {});
  return parsed.success ? null : badArgument(name, parsed.error.issues[0]);
}

function badArgument(name: OpName, issue: { path: PropertyKey[]; message: string }): WireError {
  const field = issue.path.map(String).join('.');
  return { code: 'BAD_ARGUMENT', message: field ? `${field}: ${issue.message}` : issue.message, detail: { op: name, ...(field ? { field } : {}) } };
}

export async function dispatch<N extends OpName>(handlers: Handlers, name: N, raw: unknown, ctx: OpContext = {}, log: (err: unknown) => void = (e) => console.error(e)): Promise<Reply<Result<N>>> {
  const parsed = api[name].input.safeParse(raw ?? {});
  if (!parsed.success) return { ok: false, error: badArgument(name, parsed.error.issues[0]) };
  try {
    const handler = handlers[name] as (arg: Arg<N>, ctx: OpContext) => Promise<Result<N>>;
    return { ok: true, value: await handler(parsed.data as Arg<N>, ctx) };
  } catch (err) {
    const error = toWireError(err);
    if (error.code === 'INTERNAL' && !(err instanceof MslensError)) log(err);
    return { ok: false, error };
  }
}
