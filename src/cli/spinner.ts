// A wait indicator until the first token: drawn on stderr only when it is a terminal, erased before text.
import { wantsAnimation } from "../config/paths.js";

const FRAMES = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
const FRAME_MS = 80;
/** Carriage return + erase to the end of the line: the terminal is left as it was before. */
const ERASE = "\r\u001b[K";

/** A one-line spinner. On anything but a terminal (a pipe, a file, a dumb terminal) it draws nothing. */
export class Spinner {
  readonly enabled: boolean;
  private timer: NodeJS.Timeout | undefined;
  private frame = 0;
  private shown = false;

  constructor(
    private readonly label = "waiting for the model",
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.enabled = wantsAnimation(stream.isTTY);
  }

  /** Draws the first frame at once, then redraws in place until stop(). */
  start(): void {
    if (!this.enabled || this.timer) return;
    this.draw();
    this.timer = setInterval(() => this.draw(), FRAME_MS);
    // A spinner alone must not keep the process alive.
    this.timer.unref();
  }

  /** Erases the spinner line; safe to call any number of times. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.shown) this.stream.write(ERASE);
    this.shown = false;
  }

  private draw(): void {
    const f = FRAMES[this.frame++ % FRAMES.length]!;
    this.stream.write(`${ERASE}${f} ${this.label}…`);
    this.shown = true;
  }
}
