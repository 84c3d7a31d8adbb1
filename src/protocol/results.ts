// Result shapes of methods that both the gateway and its clients read (types only).

/** `logs.tail` result. */
export interface LogsTailResult {
  file: string;
  /** Byte offset to pass as `cursor` next time (just after the last complete line returned). */
  cursor: number;
  size: number;
  lines: string[];
  /** More lines exist than were returned (before them when tailing, after them when following). */
  truncated?: boolean;
  /** The cursor was past the end (the file rotated or was truncated); reading restarted at the tail. */
  reset?: boolean;
}
