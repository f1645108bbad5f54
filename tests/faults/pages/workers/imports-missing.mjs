// A module worker script whose import fails (the module does not exist).
import "./no-such-module.mjs";

self.onmessage = (e) => self.postMessage(e.data);
