//! Search throughput by area code with a million numbers in inventory.
fn main() {}
