// Shared by the fuzz targets when built without libFuzzer: run the importer over each
// file named on the command line, or over standard input.
fn replay(format: Format) {
    use std::io::Read;
    let paths: Vec<String> = std::env::args().skip(1).collect();
    if paths.is_empty() {
        let mut data = Vec::new();
        if std::io::stdin().read_to_end(&mut data).is_ok() {
            tiller_interop::fuzz_one(format, &data);
        }
        return;
    }
    for p in paths {
        match std::fs::read(&p) {
            Ok(data) => {
                tiller_interop::fuzz_one(format, &data);
                println!("{p}: ok");
            }
            Err(e) => eprintln!("{p}: {e}"),
        }
    }
}
