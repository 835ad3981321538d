// Binds the zos.* router to an RMB peer. The peer (capabilities/rmb) has already verified the sender's
// signature, rejected replays and decrypted the body; the api gets the sender twin and the raw JSON.
// Commands that are not in the table get the peer's own "function is not found".
import type { ApiRouter } from "./router.ts";

/** The part of RmbPeer the api uses (structural, so the api does not depend on the driver's code). */
export interface CommandHost {
  handle(
    command: string,
    handler: (payload: unknown, ctx: { twin: number; command: string; raw: Uint8Array }) => unknown,
  ): unknown;
}

export function serveApi(host: CommandHost, router: ApiRouter): string[] {
  const decoder = new TextDecoder();
  const commands = router.commands();
  for (const command of commands) {
    host.handle(command, (_payload, ctx) =>
      router.handle({ twin: ctx.twin, command: ctx.command, payload: decoder.decode(ctx.raw) }));
  }
  return commands;
}
