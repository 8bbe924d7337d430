//! One TLS crypto provider for the process. rustls refuses to guess when a build links more
//! than one (as the test build does); Roundtable's own build uses ring, so ring it is.
pub fn use_ring() {
    // Err means a provider is already installed, which is what we want.
    let _ = rustls::crypto::ring::default_provider().install_default();
}
