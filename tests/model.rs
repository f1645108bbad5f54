//! Random operations on one ring, checked against a queue of whole messages: random sizes
//! (including ones that fragment or cannot fit), tiny capacities, and positions that start just
//! before the `u32` counters wrap.
mod common;

use common::message;
use proptest::prelude::*;
use pywebworker::ring::ring_starting_at;
use pywebworker::{RecvError, SendError};
use std::collections::VecDeque;

#[derive(Clone, Debug)]
enum Op {
    Send(usize),
    Recv,
    PeekRelease,
}

fn op(capacity: usize) -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0..capacity / 2).prop_map(Op::Send),
        1 => (0..capacity * 3).prop_map(Op::Send),
        3 => Just(Op::Recv),
        1 => Just(Op::PeekRelease),
    ]
}

fn scenario() -> impl Strategy<Value = (u32, u32, Vec<Op>)> {
    (6u32..=if cfg!(miri) { 7 } else { 10 }, 0u32..64).prop_flat_map(|(shift, back)| {
        let capacity = 1u32 << shift;
        let start = (u32::MAX - back * 8 - 7) & !7;
        (
            Just(capacity),
            Just(start),
            prop::collection::vec(op(capacity as usize), 1..if cfg!(miri) { 24 } else { 200 }),
        )
    })
}

proptest! {
    #[test]
    fn the_ring_delivers_exactly_the_model_s_messages((capacity, start, ops) in scenario()) {
        let (mut tx, mut rx) = ring_starting_at(capacity, start).unwrap();
        let mut model: VecDeque<(u16, Vec<u8>)> = VecDeque::new();
        let mut out = Vec::new();
        for (seq, op) in ops.into_iter().enumerate() {
            let seq = seq as u32;
            match op {
                Op::Send(len) => {
                    let m = message(seq, len);
                    let tag = (seq % 65_536) as u16;
                    // No reader runs meanwhile: a send that does not fit times out, and then
                    // nothing of it may ever be delivered.
                    match tx.send(tag, &m, Some(0)) {
                        Ok(()) => model.push_back((tag, m)),
                        Err(SendError::Timeout) => {}
                        Err(e) => prop_assert!(false, "send failed: {e:?}"),
                    }
                }
                Op::Recv => match rx.try_recv(&mut out) {
                    Ok(tag) => prop_assert_eq!(Some((tag, out.clone())), model.pop_front()),
                    Err(RecvError::Empty) => {}
                    Err(e) => prop_assert!(false, "recv failed: {e:?}"),
                },
                Op::PeekRelease => {
                    if let Ok(frame) = rx.peek() {
                        // Only a whole single-frame message can be checked in place.
                        if !frame.has_more() && !frame.is_abort() && model.front().is_some_and(|(_, m)| m.len() as u32 <= capacity / 2) {
                            let (tag, m) = model.pop_front().unwrap();
                            prop_assert_eq!(frame.tag(), tag);
                            prop_assert_eq!(frame.payload(), m.as_slice());
                            frame.release();
                        }
                    }
                }
            }
        }
        drop(tx);
        loop {
            match rx.try_recv(&mut out) {
                Ok(tag) => prop_assert_eq!(Some((tag, out.clone())), model.pop_front()),
                Err(RecvError::Closed) => break,
                Err(e) => prop_assert!(false, "drain failed: {e:?}"),
            }
        }
        prop_assert!(model.is_empty(), "{} messages lost", model.len());
    }
}
