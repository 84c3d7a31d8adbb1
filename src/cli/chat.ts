// `keel chat`: an interactive terminal chat with a running gateway: history, streamed replies, abort.
import type { GatewayClient } from "../client/client.js";
import { ChatInput } from "./chat-input.js";
import { Turn } from "./chat-turn.js";
import { CliError, EXIT } from "./errors.js";
import { Out } from "./output.js";
import { SESSION_SCOPED_EVENTS } from "../protocol/caps.js";
import { withGateway } from "./session.js";
import type { ClientFlags } from "./target.js";
import { formatMessage, type HistoryResult } from "./transcript.js";

export interface ChatFlags extends ClientFlags {
  sessionKey?: string;
  agent?: string;
  /** Messages of history shown on open and by /history. */
  history?: number;
}

const DEFAULT_HISTORY = 20;
/** Admin for `/reset` (sessions.reset is admin, as in the reference). */
const CHAT_SCOPES = ["operator.read", "operator.write", "operator.admin"] as const;
/** A second Ctrl-C within this long quits even while a reply streams. */
const DOUBLE_INTERRUPT_MS = 1_000;
const HELP =
  "commands: /history [N], /reset, /quit · Ctrl-C stops a reply, Ctrl-C at the prompt or Ctrl-D quits";

/**
 * Runs the chat until /quit, Ctrl-C at the prompt, or EOF. Exit 0, except: a lost connection is an
 * error, and reading from a pipe, so is any turn that failed (scripts see it in the exit code).
 */
export async function chat(flags: ChatFlags): Promise<number> {
  // Admin too: `/reset` calls sessions.reset, an admin method.
  // Session-scoped: the gateway sends this terminal its own session's events only, however many
  // other clients are chatting.
  const options = { scopes: CHAT_SCOPES, caps: [SESSION_SCOPED_EVENTS] };
  return withGateway(flags, options, (client) => new ChatSession(client, flags).run());
}

class ChatSession {
  private readonly out = new Out();
  private readonly sessionKey: string;
  private readonly agentId: string | undefined;
  private input: ChatInput | undefined;
  private turn: Turn | undefined;
  private lastInterrupt = 0;
  private lost: string | undefined;
  private failed = 0;

  constructor(
    private readonly client: GatewayClient,
    private readonly flags: ChatFlags,
  ) {
    this.sessionKey = flags.sessionKey ?? "main";
    this.agentId = flags.agent;
  }

  async run(): Promise<number> {
    // Before the history read, so nothing written in between is missed.
    await this.client.followSession(this.sessionKey, this.agentId);
    await this.showHistory(this.flags.history ?? DEFAULT_HISTORY, true);
    const input = new ChatInput(() => this.interrupt());
    this.input = input;
    const offStatus = this.client.onStatus((s) => {
      if (s.type !== "disconnected") return;
      this.lost = s.explanation;
      this.quit();
    });
    if (input.interactive) this.out.line(this.out.paint(HELP, "dim"));
    try {
      for (let line = await input.next(); line !== undefined; line = await input.next()) {
        const text = line.trim();
        if (text === "") continue;
        if (text.startsWith("/")) {
          if (!(await this.command(text))) break;
          continue;
        }
        await this.send(line);
      }
    } finally {
      input.stop();
      offStatus();
    }
    if (this.lost !== undefined) {
      throw new CliError(
        `lost the connection to the gateway: ${this.lost}`,
        EXIT.error,
        "start `keel chat` again once the gateway is back (`keel health` tells)",
      );
    }
    return !input.interactive && this.failed > 0 ? EXIT.error : EXIT.ok;
  }

  private async send(message: string): Promise<void> {
    const turn = new Turn(this.client, {
      sessionKey: this.sessionKey,
      ...(this.agentId ? { agentId: this.agentId } : {}),
      message,
      write: (t) => process.stdout.write(t),
    });
    this.turn = turn;
    try {
      const end = await turn.start();
      if (end.state === "error") this.failed++;
    } finally {
      this.turn = undefined;
    }
  }

  /** Ctrl-C: stops the streaming reply; at the prompt, or twice in quick succession, quits. */
  private interrupt(): void {
    const now = Date.now();
    const repeated = now - this.lastInterrupt < DOUBLE_INTERRUPT_MS;
    this.lastInterrupt = now;
    if (this.turn && !this.turn.ended && !repeated) {
      void this.turn.abort();
      return;
    }
    // Leave the terminal on a fresh line rather than after the prompt or a half reply.
    if (this.input?.interactive) process.stdout.write("\n");
    this.quit();
  }

  private quit(): void {
    this.turn?.cancel();
    this.input?.stop();
  }

  /** Runs a /command; false means quit. */
  private async command(text: string): Promise<boolean> {
    const [name, arg] = text.split(/\s+/, 2);
    try {
      switch (name) {
        case "/quit":
        case "/exit":
          return false;
        case "/history": {
          const n = Number(arg ?? this.flags.history ?? DEFAULT_HISTORY);
          await this.showHistory(Number.isSafeInteger(n) && n > 0 ? n : DEFAULT_HISTORY, false);
          return true;
        }
        case "/reset": {
          const r = await this.client.request<{
            entry?: { sessionId?: string };
          }>("sessions.reset", {
            key: this.sessionKey,
            ...(this.agentId ? { agentId: this.agentId } : {}),
          });
          this.out.line(`session ${this.sessionKey} reset: new session id ${r.entry?.sessionId ?? "?"}`);
          return true;
        }
        default:
          this.out.line(name === "/help" ? HELP : `unknown command ${name}; ${HELP}`);
          return true;
      }
    } catch (err) {
      // A failed command leaves the chat usable; a lost connection is reported by the status listener.
      this.out.line(`error: ${err instanceof Error ? err.message : String(err)}`);
      return true;
    }
  }

  private async showHistory(limit: number, opening: boolean): Promise<void> {
    const h = await this.client.request<HistoryResult>("chat.history", {
      sessionKey: this.sessionKey,
      limit,
      ...(this.agentId ? { agentId: this.agentId } : {}),
    });
    const interactive = process.stdout.isTTY === true;
    if (interactive || !opening) {
      const total = h.totalMessages ?? h.messages.length;
      const what = total === 0 ? "no messages yet" : `last ${h.messages.length} of ${total} messages`;
      this.out.line(this.out.paint(`session ${this.sessionKey}: ${what}`, "dim"));
    }
    for (const m of h.messages) this.out.line(formatMessage(m));
    if (h.sessionInfo?.hasActiveRun) this.out.line(this.out.paint("(a reply is still running)", "dim"));
  }
}
