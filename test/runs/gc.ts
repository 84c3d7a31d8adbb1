// Forces a full GC from inside a test process (no --expose-gc flag needed on the worker).
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

setFlagsFromString("--expose_gc");
const gcFn = runInNewContext("gc") as () => void;

/** Full GC, twice, with a turn of the event loop between, so finalizers and weak refs settle. */
export async function fullGc(): Promise<void> {
  gcFn();
  await new Promise((r) => setImmediate(r));
  gcFn();
}
