// The terminal side of `keel chat`: lines from a TTY prompt or a pipe, queued, plus Ctrl-C as one event.
import { createInterface, type Interface } from "node:readline";

/** Reads lines one at a time. On a TTY it shows a prompt; from a pipe it reads until EOF. */
export class ChatInput {
  /** True when a person is typing: stdin and stdout are terminals. */
  readonly interactive: boolean;
  private readonly rl: Interface;
  private readonly queue: string[] = [];
  private waiting: ((line: string | undefined) => void) | undefined;
  private ended = false;
  private readonly onSigint: () => void;

  /** `onInterrupt` runs on Ctrl-C (a TTY keypress) and on SIGINT (a signal, e.g. from a pipe's parent). */
  constructor(onInterrupt: () => void, prompt = "you> ") {
    this.interactive = process.stdin.isTTY === true && process.stdout.isTTY === true;
    this.rl = createInterface({
      input: process.stdin,
      ...(this.interactive ? { output: process.stdout } : {}),
      terminal: this.interactive,
      prompt,
    });
    this.onSigint = onInterrupt;
    // Lines typed (or piped) while a reply streams wait here for their turn; none is lost.
    this.rl.on("line", (line) => this.push(line));
    this.rl.on("close", () => {
      // Ctrl-D leaves the cursor after the prompt; give the shell a fresh line.
      if (this.interactive && !this.ended) process.stdout.write("\n");
      this.end();
    });
    // In raw mode readline turns Ctrl-C into this event; a real signal arrives on the process.
    this.rl.on("SIGINT", onInterrupt);
    process.on("SIGINT", onInterrupt);
  }

  /** The next line, or undefined at EOF (Ctrl-D, end of the pipe) or after stop(). */
  next(): Promise<string | undefined> {
    const line = this.queue.shift();
    if (line !== undefined) return Promise.resolve(line);
    if (this.ended) return Promise.resolve(undefined);
    if (this.interactive) this.rl.prompt();
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  /** Ends input: a pending next() resolves undefined, the terminal is given back, SIGINT is default again. */
  stop(): void {
    this.end();
    this.queue.length = 0;
    this.rl.close();
    process.off("SIGINT", this.onSigint);
  }

  private push(line: string): void {
    if (this.ended) return;
    const waiting = this.waiting;
    this.waiting = undefined;
    if (waiting) waiting(line);
    else this.queue.push(line);
  }

  private end(): void {
    this.ended = true;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.(undefined);
  }
}
