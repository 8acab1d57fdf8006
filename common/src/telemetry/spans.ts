// Manual spans over the global OpenTelemetry API: no-ops until an SDK is started
// (telemetry.ts), so instrumented code costs nothing when telemetry is off.
import { SpanStatusCode, trace, type Attributes, type Span } from "@opentelemetry/api";
import type { Command, CommandResult } from "@eastwest/proto";
import { errorMessage } from "../errors.ts";

export const TRACER_NAME = "eastwest";

/** Span attribute names. */
export const SPAN_ATTR = {
  runId: "run.id",
  agentId: "agent.id",
  commandKind: "command.kind",
  cellId: "cell.id",
  campaignId: "campaign.id",
} as const;

function tracer() {
  return trace.getTracer(TRACER_NAME);
}

/** Marks a span failed: the exception recorded, status ERROR with the message. */
export function failSpan(span: Span, err: unknown): void {
  if (err instanceof Error) span.recordException(err);
  span.setStatus({ code: SpanStatusCode.ERROR, message: errorMessage(err) });
}

/** Runs fn inside a new active span (a child of the current one); a rejection fails the span and is rethrown. */
export function inSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      failSpan(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** The command-sending half of the collector's agent sessions. */
export interface CommandSender {
  command(agentId: string, kind: Command["kind"], deadlineMs?: number): Promise<CommandResult>;
  commandWithId(agentId: string, kind: Command["kind"], deadlineMs?: number): { id: string; result: Promise<CommandResult> };
}

/**
 * The same sender, each command a span "command <kind>" (child of the active span, with agent.id and
 * command.kind) that ends when the result settles; a result with ok=false or a rejection sets status ERROR.
 * Results and rejections reach the caller unchanged.
 */
export function tracedCommands(sender: CommandSender, attributes: Attributes = {}): CommandSender {
  const commandWithId = (agentId: string, kind: Command["kind"], deadlineMs?: number) => {
    const what = kind?.$case ?? "unknown";
    const span = tracer().startSpan(`command ${what}`, { attributes: { ...attributes, [SPAN_ATTR.agentId]: agentId, [SPAN_ATTR.commandKind]: what } });
    const sent = sender.commandWithId(agentId, kind, deadlineMs);
    sent.result.then(
      (r) => {
        if (!r.ok) span.setStatus({ code: SpanStatusCode.ERROR, message: r.error });
        span.end();
      },
      (err: unknown) => {
        failSpan(span, err);
        span.end();
      },
    );
    return sent;
  };
  return { commandWithId, command: (agentId, kind, deadlineMs) => commandWithId(agentId, kind, deadlineMs).result };
}
