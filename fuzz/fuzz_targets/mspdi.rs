//! Fuzz target: the mspdi importer over arbitrary bytes. Built with `--features
//! libfuzzer` it is a cargo-fuzz target; otherwise a plain program that runs the
//! importer over the files given as arguments (or standard input).
#![cfg_attr(feature = "libfuzzer", no_main)]

use tiller_interop::Format;

#[cfg(feature = "libfuzzer")]
libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    tiller_interop::fuzz_one(Format::Mspdi, data);
});

#[cfg(not(feature = "libfuzzer"))]
include!("replay.rs");

#[cfg(not(feature = "libfuzzer"))]
fn main() {
    replay(Format::Mspdi);
}
