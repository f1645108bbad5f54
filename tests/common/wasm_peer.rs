//! A second thread for the wasm-only tests (`tests/wasm_*.rs`): a worker started with the same
//! module and memory as the test (see [`Peer`]), running one of the `peer_*` functions the test
//! exports, and the small clocks and sleeps the tests share.

use pywebworker::wait::{self, Platform, Wait};
use std::sync::atomic::AtomicU32;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

pub const MS: u64 = 1_000_000;

pub fn ms_since(t0: u64) -> f64 {
    wait::now_ns().saturating_sub(t0) as f64 / 1e6
}

#[wasm_bindgen(inline_js = r#"
const BOOT = `
self.onmessage = async (e) => {
  self.onmessage = null;
  const { glue, module, memory, job, args } = e.data;
  try {
    const m = await import(glue);
    m.initSync({ module, memory });
    postMessage({ ready: true });
    postMessage({ done: true, result: m[job](...args) });
  } catch (err) {
    postMessage({ error: String((err && err.stack) || err) });
  }
};`;

// A worker instantiating this test's module with its shared memory, running export \`job\`.
export class Peer {
  constructor(module, memory, job, args, timeoutMs) {
    const url = URL.createObjectURL(new Blob([BOOT], { type: "text/javascript" }));
    this.worker = new Worker(url, { type: "module" });
    const glue = new URL("wasm-bindgen-test.js", self.location.href).href;
    let ready, done;
    this.readyP = new Promise((res, rej) => { ready = { res, rej }; });
    this.doneP = new Promise((res, rej) => { done = { res, rej }; });
    const fail = (why) => { ready.rej(new Error(why)); done.rej(new Error(why)); };
    const timer = setTimeout(() => fail(`peer ${job}: no answer in ${timeoutMs} ms`), timeoutMs);
    this.worker.onmessage = (e) => {
      if (e.data.ready) ready.res();
      else if (e.data.done) { clearTimeout(timer); done.res(e.data.result); this.worker.terminate(); }
      else if (e.data.error) { clearTimeout(timer); fail(`peer ${job}: ${e.data.error}`); }
    };
    this.worker.onerror = (e) => { clearTimeout(timer); fail(`peer ${job}: ${e.message}`); };
    this.worker.postMessage({ glue, module, memory, job, args });
  }
  ready() { return this.readyP; }
  done() { return this.doneP; }
}

export function sleep(ms) { return new Promise((res) => setTimeout(res, ms)); }
export function inWorker() { return typeof WorkerGlobalScope !== "undefined" && self instanceof WorkerGlobalScope; }
export function bufferTag(memory) { return Object.prototype.toString.call(memory.buffer); }
"#)]
extern "C" {
    pub type Peer;
    #[wasm_bindgen(constructor)]
    pub fn new(module: JsValue, memory: JsValue, job: &str, args: js_sys::Array, timeout_ms: f64) -> Peer;
    #[wasm_bindgen(method)]
    pub fn ready(this: &Peer) -> js_sys::Promise;
    #[wasm_bindgen(method)]
    pub fn done(this: &Peer) -> js_sys::Promise;
    pub fn sleep(ms: f64) -> js_sys::Promise;
    #[wasm_bindgen(js_name = inWorker)]
    pub fn in_worker() -> bool;
    #[wasm_bindgen(js_name = bufferTag)]
    pub fn buffer_tag(memory: &JsValue) -> String;
}

/// Starts `job` (an exported `peer_*` function) in a second worker sharing this module's memory,
/// and waits (asynchronously: a nested worker starts only while its parent's event loop runs)
/// until it instantiated the module. Gives up after 20 s.
pub async fn start_peer(job: &str, args: &[f64]) -> Peer {
    let args: js_sys::Array = args.iter().map(|&a| JsValue::from_f64(a)).collect();
    let peer = Peer::new(wasm_bindgen::module(), wasm_bindgen::memory(), job, args, 20_000.0);
    JsFuture::from(peer.ready()).await.expect("the second worker starts");
    peer
}

pub async fn finish(peer: &Peer) -> Vec<f64> {
    let result = JsFuture::from(peer.done()).await.expect("the second worker finishes");
    js_sys::Float64Array::new(&result).to_vec()
}

pub async fn sleep_ms(ms: f64) {
    JsFuture::from(sleep(ms)).await.unwrap();
}

/// Sleeps `ms` on this thread (a worker) with the primitive under test.
pub fn block_ms(ms: u64) {
    let word = AtomicU32::new(0);
    Platform::wait(&word, 0, Some(ms * MS));
}
