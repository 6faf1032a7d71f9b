//! Rendering a template for 10,000 credential sets, through the sink as the
//! binary drives it (accept every set, then commit).
//!
//! Run: `cargo bench -p ssocred-sink-template --bench render`

use criterion::{Criterion, criterion_group, criterion_main};
use ssocred_core::domain::variables::sample_set;
use ssocred_core::{SinkContext, SinkSpec, sink};
use ssocred_sink_template as _;

fn render_10k(c: &mut Criterion) {
    let sets: Vec<_> = (0..10_000)
        .map(|i| {
            let mut set = sample_set();
            set.account_id = format!("{i:012}");
            set
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let ctx = SinkContext {
        config_file: dir.path().join("config"),
        credentials_file: dir.path().join("credentials"),
        cwd: dir.path().to_path_buf(),
    };
    let spec = SinkSpec::parse("template:credentials-ini").unwrap();
    let mut group = c.benchmark_group("template");
    group.sample_size(20);
    group.bench_function("credentials-ini, 10000 sets", |b| {
        b.iter(|| {
            let mut sink = sink::build(&spec, &ctx).unwrap();
            for set in &sets {
                sink.accept(set).unwrap();
            }
            let mut out = Vec::with_capacity(8 << 20);
            sink.commit(&mut out).unwrap();
            out.len()
        })
    });
    group.finish();
}

criterion_group!(benches, render_10k);
criterion_main!(benches);
