let x = ;
self.onmessage = (e) => self.postMessage(e.data);
