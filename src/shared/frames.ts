// The frames of browser mode's WebSocket, defined once for both ends: requests {id, method, input} in,
// answers {id, result} and events {event, payload} out.
import { z } from 'zod';
import { ErrorInfo } from './errors';

export const FrameId = z.union([z.number(), z.string()]);

/** What the page sends: one call. */
export const RequestFrame = z.object({ id: FrameId, method: z.string(), input: z.unknown() });
export type RequestFrame = z.infer<typeof RequestFrame>;

/** The answer to a request (id null when the request was unreadable, so it had no id). */
export const ResultFrame = z.object({
  id: FrameId.nullable(),
  result: z.union([z.object({ ok: z.literal(true), data: z.unknown() }), z.object({ ok: z.literal(false), error: ErrorInfo })]),
});
export type ResultFrame = z.infer<typeof ResultFrame>;

/** An event the engine pushes to every page. */
export const EventFrame = z.object({ event: z.string(), payload: z.unknown() });
export type EventFrame = z.infer<typeof EventFrame>;

/** What the page receives. */
export const ServerFrame = z.union([ResultFrame, EventFrame]);
export type ServerFrame = z.infer<typeof ServerFrame>;
