// One turn of `keel chat`: chat.send, the reply streamed from `chat` events of its runId, abort on request.
import { randomUUID } from "node:crypto";
import type { GatewayClient } from "../client/client.js";
import { Spinner } from "./spinner.js";
import { type ChatEvent, messageText, StreamPrinter } from "./transcript.js";

/** How a turn ended. `cancelled`: the chat stopped waiting (quit, or the connection was lost). */
export type TurnEnd =
  | { state: "final" }
  | { state: "aborted" }
  | { state: "error"; errorMessage: string; errorKind?: string }
  | { state: "cancelled" };

export interface TurnOptions {
  sessionKey: string;
  agentId?: string;
  message: string;
  /** Where the reply goes (stdout). */
  write: (text: string) => void;
}

/** A turn in flight. `done` settles once, at the run's terminal event or cancel(). */
export class Turn {
  /** The run's id: the idempotencyKey we send (the gateway uses it as runId). */
  readonly runId = randomUUID();
  readonly done: Promise<TurnEnd>;
  private settle!: (end: TurnEnd) => void;
  private readonly printer: StreamPrinter;
  /** Until the first token; draws only when stderr is a terminal. */
  private readonly spinner = new Spinner();
  private sent: Promise<unknown> | undefined;
  private aborting = false;
  private finished = false;
  private off: () => void = () => {};

  constructor(
    private readonly client: GatewayClient,
    private readonly options: TurnOptions,
  ) {
    this.printer = new StreamPrinter(options.write, "assistant: ");
    this.done = new Promise<TurnEnd>((resolve) => {
      this.settle = resolve;
    }).finally(() => this.off());
  }

  /** True once the turn ended: a Ctrl-C now is meant for the prompt, not for this reply. */
  get ended(): boolean {
    return this.finished;
  }

  /** Subscribes first (events may beat the ack), then sends. A refused send ends the turn as an error. */
  start(): Promise<TurnEnd> {
    this.off = this.client.on("chat", (payload) => this.onEvent(payload as ChatEvent));
    const { sessionKey, agentId, message } = this.options;
    this.sent = this.client.request("chat.send", {
      sessionKey,
      message,
      idempotencyKey: this.runId,
      ...(agentId ? { agentId } : {}),
    });
    this.sent.catch((err: unknown) => this.end({ state: "error", errorMessage: describe(err) }));
    this.spinner.start();
    return this.done;
  }

  /**
   * Asks the gateway to stop the run; the `aborted` event then ends the turn. Waits for the send's ack
   * first: an abort that overtook it would find no run to stop.
   */
  async abort(): Promise<void> {
    if (this.aborting) return;
    this.aborting = true;
    const { sessionKey, agentId } = this.options;
    try {
      await this.sent;
      await this.client.request("chat.abort", {
        sessionKey,
        runId: this.runId,
        ...(agentId ? { agentId } : {}),
      });
    } catch (err) {
      // Already ended (the send failed, or the run finished first): its own terminal event tells.
      this.spinner.stop();
      this.options.write(`(abort failed: ${describe(err)})\n`);
    }
  }

  /** Stops waiting without a terminal event. */
  cancel(): void {
    this.end({ state: "cancelled" });
  }

  private onEvent(e: ChatEvent): void {
    if (e.runId !== this.runId) return;
    // Erased before any text, so the reply starts on a clean line.
    if (e.state !== "status") this.spinner.stop();
    switch (e.state) {
      case "delta":
        this.printer.event(e);
        return;
      case "final":
        this.printer.finish(messageText(e.message));
        this.end({ state: "final" });
        return;
      case "aborted":
        this.printer.finish(messageText(e.message), " [aborted]");
        this.end({ state: "aborted" });
        return;
      case "error": {
        const errorMessage = e.errorMessage ?? "the run failed";
        if (this.printer.active) this.printer.finish(messageText(e.message));
        // `errorKind` is the protocol's closed set (a dead provider is `unknown` there); Keel's
        // full kind is in details, and it is what `keel agent` shows too.
        const errorKind = e.details?.kind ?? e.errorKind;
        this.end({ state: "error", errorMessage, ...(errorKind ? { errorKind } : {}) });
        return;
      }
    }
  }

  private end(end: TurnEnd): void {
    // Later events or a late rejection of this turn must not print again.
    if (this.finished) return;
    this.finished = true;
    this.spinner.stop();
    if (end.state === "error") {
      this.options.write(`error${end.errorKind ? ` (${end.errorKind})` : ""}: ${end.errorMessage}\n`);
    }
    this.settle(end);
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
