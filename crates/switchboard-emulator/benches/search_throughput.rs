//! Search throughput over loopback (filled in below).
fn main() {}
