fn main() -> std::process::ExitCode {
    roundtable::cli::main()
}
