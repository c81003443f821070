//! The same comparison as `adapter_overhead`, measured in interleaved
//! rounds so that load from other processes (this machine is shared) hits
//! every side alike: each round runs a batch of each kind in rotating order;
//! the report gives per-request medians over rounds and the median of the
//! per-round ratios. Besides the two bare baselines (body as bytes, body
//! parsed), a third reads the body as bytes from a client set up as the
//! adapter's (timeouts, user agent), which tells what those reqwest settings
//! cost apart from what the adapter adds.
//!
//! Run: `cargo bench -p switchboard-twilio --bench overhead_interleaved`

mod common;

use std::time::Instant;

const ROUNDS: usize = 60;
const BATCH: usize = 200;

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let setup = common::Setup::new();
    // Warm up connections and code paths.
    setup.rt.block_on(async {
        for _ in 0..BATCH {
            setup.bare().await;
            setup.search().await;
        }
    });
    let mut micros = [
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
    ];
    for round in 0..ROUNDS {
        for k in 0..6 {
            let which = (round + k) % 6;
            let start = Instant::now();
            setup.rt.block_on(async {
                for _ in 0..BATCH {
                    match which {
                        0 => drop(setup.bare().await),
                        1 => drop(setup.bare_parsed().await),
                        2 => drop(setup.search().await),
                        3 => drop(setup.bare_configured().await),
                        4 => drop(setup.bare_typed().await),
                        _ => drop(setup.bare_json_owned().await),
                    }
                }
            });
            micros[which].push(start.elapsed().as_secs_f64() * 1e6 / BATCH as f64);
        }
    }
    let mut vs_bytes: Vec<f64> = (0..ROUNDS).map(|r| micros[2][r] / micros[0][r]).collect();
    let mut vs_parsed: Vec<f64> = (0..ROUNDS).map(|r| micros[2][r] / micros[1][r]).collect();
    let mut vs_configured: Vec<f64> = (0..ROUNDS).map(|r| micros[2][r] / micros[3][r]).collect();
    let mut vs_typed: Vec<f64> = (0..ROUNDS).map(|r| micros[2][r] / micros[4][r]).collect();
    let mut vs_owned: Vec<f64> = (0..ROUNDS).map(|r| micros[2][r] / micros[5][r]).collect();
    let [
        mut bytes,
        mut parsed,
        mut adapter,
        mut configured,
        mut typed,
        mut owned,
    ] = micros;
    println!("rounds: {ROUNDS} x {BATCH} requests per kind");
    println!(
        "bare reqwest, body as bytes:        median {:.1} us/request",
        median(&mut bytes)
    );
    println!(
        "bare reqwest, body parsed to Value: median {:.1} us/request",
        median(&mut parsed)
    );
    println!(
        "TwilioProvider::search:             median {:.1} us/request",
        median(&mut adapter)
    );
    println!(
        "bare, adapter's client settings:    median {:.1} us/request",
        median(&mut configured)
    );
    println!(
        "bare, body decoded by serde (typed): median {:.1} us/request",
        median(&mut typed)
    );
    println!(
        "bare, .json::<T>() into owned records: median {:.1} us/request",
        median(&mut owned)
    );
    println!(
        "adapter / bare .json owned: median ratio {:.3}",
        median(&mut vs_owned)
    );
    println!(
        "adapter / bare typed:  median ratio {:.3}",
        median(&mut vs_typed)
    );
    println!(
        "adapter / bare bytes:  median ratio {:.3}",
        median(&mut vs_bytes)
    );
    println!(
        "adapter / bare parsed: median ratio {:.3}",
        median(&mut vs_parsed)
    );
    println!(
        "adapter / bare bytes, adapter's client settings: median ratio {:.3}",
        median(&mut vs_configured)
    );
}
