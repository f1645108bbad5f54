// The fault suite's page module (tests/faults/pages/faults.html loads it as window.faults):
// Node starts scenarios with `faults.start(name, arg)` and polls them with `faults.poll(id)`.
import { loadStreamSource } from "./lib.js";
import "./kill.js";
import "./lifecycle.js";
import "./hostile.js";

export { start, poll } from "./lib.js";

/** Everything the scenarios need before they run. */
export async function load() {
  await loadStreamSource();
}
