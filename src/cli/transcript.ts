// Text of chat messages and chat events for the terminal: role-prefixed lines and streamed replies.

/** A chat.history message as the gateway sends it (only the fields shown here). */
export interface WireMessage {
  role?: string;
  content?: unknown;
  timestamp?: number;
  aborted?: boolean;
  stopReason?: string;
  errorMessage?: string;
}

/** A `chat` event payload (spec §2.1), the fields the CLI reads. */
export interface ChatEvent {
  runId?: string;
  sessionKey?: string;
  state?: "status" | "delta" | "final" | "aborted" | "error";
  deltaText?: string;
  replace?: boolean;
  message?: WireMessage;
  errorMessage?: string;
  /** The protocol's closed set (`refusal`, `timeout`, `rate_limit`, `context_length`, `unknown`). */
  errorKind?: string;
  /** Keel adds the full error kind here (`network`, `auth`, `model_not_found`, …). */
  details?: { kind?: string };
  stopReason?: string;
}

/** The `chat.history` result fields the CLI reads (src/methods/sessions.ts). */
export interface HistoryResult {
  sessionKey: string;
  sessionId?: string;
  messages: WireMessage[];
  hasMore?: boolean;
  nextOffset?: number | null;
  totalMessages?: number;
  sessionInfo?: { hasActiveRun?: boolean; activeRunIds?: string[] };
}

/** The text of a message: user/system content is a string, assistant content `[{type:"text", text}]`. */
export function messageText(m: WireMessage | undefined): string {
  const c = m?.content;
  if (typeof c === "string") return c;
  if (!Array.isArray(c)) return "";
  return c
    .map((part) => (part && typeof part === "object" && typeof part.text === "string" ? part.text : ""))
    .join("");
}

/** One history message as `role: text`, with a marker when the turn was aborted or failed. */
export function formatMessage(m: WireMessage): string {
  const marker = m.aborted
    ? " [aborted]"
    : m.errorMessage
      ? ` [error: ${m.errorMessage}]`
      : m.stopReason === "error"
        ? " [error]"
        : "";
  return `${m.role ?? "?"}: ${messageText(m)}${marker}`;
}

/**
 * Prints a reply as it streams: each update carries the cumulative text, and only the part not yet
 * printed is written. Deltas may be dropped under back-pressure, which is why the cumulative
 * `message` text is preferred over `deltaText`.
 */
export class StreamPrinter {
  private printed = "";
  private started = false;

  constructor(
    private readonly write: (text: string) => void,
    /** Written once before the first text (e.g. "assistant: "). */
    private readonly prefix = "",
  ) {}

  /** The reply text printed so far. */
  get text(): string {
    return this.printed;
  }

  /** True once any text (or the prefix) was written. */
  get active(): boolean {
    return this.started;
  }

  /** Writes what `full` adds to what was printed. A rewrite (`replace`) cannot be unprinted: it is skipped. */
  update(full: string): void {
    if (!full.startsWith(this.printed)) return;
    this.emit(full.slice(this.printed.length));
  }

  /** Applies one chat event's text (delta or terminal) to the stream. */
  event(e: ChatEvent): void {
    const cumulative = e.message ? messageText(e.message) : undefined;
    if (cumulative !== undefined) this.update(cumulative);
    else if (e.deltaText && !e.replace) this.update(this.printed + e.deltaText);
  }

  /**
   * Ends the reply with `final` as its whole text: writes what is missing and a newline, so the
   * text appears exactly once. If it no longer matches what streamed (a rewrite), it goes on a
   * line of its own.
   */
  finish(final: string, suffix = ""): void {
    if (final.startsWith(this.printed)) this.emit(final.slice(this.printed.length));
    else this.emit(`\n${final}`);
    if (!this.started) this.emit("");
    this.write(`${this.printed ? suffix : suffix.trimStart()}\n`);
  }

  private emit(text: string): void {
    if (!this.started) {
      this.started = true;
      this.write(this.prefix);
    }
    if (text) {
      this.write(text);
      this.printed += text;
    }
  }
}
