// The hooks subsystem as health and status show it: set from the live config at start and again
// after every swap, so a reload that breaks or fixes the hooks section is reported the same way.
import { hooksStateOf } from "../config/load.js";
import type { Config } from "../config/schema.js";
import type { ConfigSource } from "../config/source.js";
import type { Logger } from "../lifecycle/logger.js";
import type { Subsystems } from "../lifecycle/subsystems.js";

/** Reports `hooks` now and on every swap that changes its state. Returns the unsubscribe. */
export function reportHooks(source: ConfigSource, subsystems: Subsystems, logger: Logger): () => void {
  const report = (config: Config, previous?: Config) => {
    const state = hooksStateOf(config);
    if (previous && JSON.stringify(hooksStateOf(previous)) === JSON.stringify(state)) return;
    if (state.state === "disabled") {
      subsystems.set("hooks", "disabled", state.reason);
      logger.error({ path: state.path }, `hooks disabled: ${state.reason}`);
      return;
    }
    subsystems.set("hooks", state.state);
    if (previous) logger.info(`hooks ${state.state === "ready" ? "enabled" : "off"}`);
  };
  report(source.current());
  return source.subscribe((next, previous) => report(next, previous));
}
