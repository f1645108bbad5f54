//! Single runs of the native ring loop, for the browser benchmark to alternate with the same loop
//! in wasm (`benches/browser/run.mjs`): `cargo bench --bench ring_once -- SIZE COUNT RUNS` prints
//! one line of JSON, `{"size":..,"count":..,"msgPerSec":[..]}`, a figure for each run.
use std::time::Instant;

mod common;

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--")) // cargo bench passes --bench
        .map(|a| a.parse().expect("usage: ring_once SIZE COUNT RUNS"))
        .collect();
    let [size, count, runs] = args[..] else {
        panic!("usage: ring_once SIZE COUNT RUNS");
    };
    let rates: Vec<String> = (0..runs)
        .map(|_| {
            let t0 = Instant::now();
            common::pywebworker_ring(size, count);
            format!("{:.0}", count as f64 / t0.elapsed().as_secs_f64())
        })
        .collect();
    println!("{{\"size\":{size},\"count\":{count},\"msgPerSec\":[{}]}}", rates.join(","));
}
