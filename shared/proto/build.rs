//! Compiles every `.proto` under `/proto` with protox (a pure-Rust protobuf
//! compiler, so no machine needs `protoc`) and generates prost messages and
//! tonic clients/servers. The file descriptor set is also written to OUT_DIR so
//! every service can offer gRPC server reflection.

use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../proto");
    let mut files = Vec::new();
    collect_protos(&root, &mut files)?;
    files.sort();
    println!("cargo:rerun-if-changed={}", root.display());
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }

    let fds = protox::compile(&files, [&root])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("attend_descriptor.bin"),
        prost::Message::encode_to_vec(&fds),
    )?;

    // Type names let the bus write each payload's full name into the envelope.
    let mut config = tonic_prost_build::Config::new();
    config.enable_type_names();
    // Maps as BTreeMaps: encoded in key order, so the same request encodes
    // to the same bytes and its idempotency fingerprint matches on a retry
    // (a HashMap's order differs from one process to the next).
    config.btree_map(["."]);
    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .compile_fds_with_config(fds, config)?;
    Ok(())
}

fn collect_protos(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_protos(&path, out)?;
        } else if path.extension().is_some_and(|ext| ext == "proto") {
            out.push(path);
        }
    }
    Ok(())
}
