// coincident's worker side: a loop of synchronous calls of the page's `echo` through its proxy.
import coincident from "/node_modules/coincident/dist/worker.js";
import { timeCalls } from "./stats.js";

const { proxy } = await coincident();
proxy.callPage = (x, rounds) => timeCalls(() => proxy.echo(x), rounds);
