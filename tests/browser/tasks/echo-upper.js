// A worker script loaded by URL: answers every string upper-cased.
self.onmessage = (e) => self.postMessage(String(e.data).toUpperCase());
