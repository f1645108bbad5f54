//! Native ring throughput, one producer thread and one consumer thread, for 16 B to 64 KiB
//! messages, next to `rtrb` moving the same bytes (its byte chunks, the same capacity). The
//! ceiling for the browser figures; ratios, not absolutes, are what to compare.
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::thread;

mod common;
use common::{pywebworker_ring, CAPACITY};

const BYTES_PER_ITER: usize = 4 << 20;

/// rtrb is a byte stream: each message is a 4-byte length, then the payload, as in our frames.
fn rtrb_bytes(size: usize, count: usize) {
    let (mut tx, mut rx) = rtrb::RingBuffer::<u8>::new(CAPACITY);
    let mut msg = (size as u32).to_le_bytes().to_vec();
    msg.extend(std::iter::repeat_n(7u8, size));
    let consumer = thread::spawn(move || {
        let (mut head, mut out) = ([0u8; 4], vec![0u8; size]);
        for _ in 0..count {
            read_exact(&mut rx, &mut head);
            let len = u32::from_le_bytes(head) as usize;
            read_exact(&mut rx, &mut out[..len]);
        }
    });
    for _ in 0..count {
        write_all(&mut tx, &msg);
    }
    consumer.join().unwrap();
}

fn write_all(tx: &mut rtrb::Producer<u8>, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        let n = tx.slots().min(bytes.len());
        if n == 0 {
            std::hint::spin_loop();
            continue;
        }
        let mut chunk = tx.write_chunk(n).unwrap();
        let (a, b) = chunk.as_mut_slices();
        let split = a.len();
        a.copy_from_slice(&bytes[..split]);
        b.copy_from_slice(&bytes[split..n]);
        chunk.commit_all();
        bytes = &bytes[n..];
    }
}

fn read_exact(rx: &mut rtrb::Consumer<u8>, out: &mut [u8]) {
    let mut at = 0;
    while at < out.len() {
        let n = rx.slots().min(out.len() - at);
        if n == 0 {
            std::hint::spin_loop();
            continue;
        }
        let chunk = rx.read_chunk(n).unwrap();
        let (a, b) = chunk.as_slices();
        out[at..at + a.len()].copy_from_slice(a);
        out[at + a.len()..at + n].copy_from_slice(b);
        chunk.commit_all();
        at += n;
    }
}

fn throughput(c: &mut Criterion) {
    let mut group = c.benchmark_group("ring throughput");
    group.sample_size(10);
    for size in [16usize, 256, 1024, 16 << 10, 64 << 10] {
        let count = (BYTES_PER_ITER / size).clamp(1000, 200_000);
        group.throughput(Throughput::Elements(count as u64));
        group.bench_with_input(BenchmarkId::new("pywebworker", size), &size, |b, &s| {
            b.iter(|| pywebworker_ring(s, count))
        });
        group.bench_with_input(BenchmarkId::new("rtrb", size), &size, |b, &s| b.iter(|| rtrb_bytes(s, count)));
    }
    group.finish();
}

criterion_group!(benches, throughput);
criterion_main!(benches);
