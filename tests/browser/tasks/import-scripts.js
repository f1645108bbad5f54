// A classic worker script loaded by URL that loads another with importScripts (a URL relative to
// its own) and answers with what it defines, and with its own URL.
importScripts("shout-lib.js");
self.onmessage = (e) => self.postMessage({ shouted: shout(e.data), scriptURL: self.scriptURL });
