// Client capability names (`connect.caps`) Keel acts on; no imports, so the CLI loads it cheaply.

/**
 * Narrows `chat`/`agent` events to the sessions a client follows with
 * `sessions.messages.subscribe` and the runs it started itself.
 */
export const SESSION_SCOPED_EVENTS = "session-scoped-events";
