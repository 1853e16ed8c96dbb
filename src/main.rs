/// mimalloc rather than the system allocator: with thousands of sockets each making and freeing
/// small buffers, glibc's heap fragments and holds on to memory (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    api::cli::main()
}
