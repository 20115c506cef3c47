//! Registry commands over HTTPS: a TLS-terminating proxy with a throwaway certificate authority sits in front of a
//! real `herald serve`; `--ca-cert` makes the CLI trust it and `--client-cert` answers a mutual-TLS demand.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use common::{Server, herald};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};

/// A certificate authority, a server certificate for localhost and a client certificate, all written as PEM.
struct Pki {
    ca_der: CertificateDer<'static>,
    server_der: CertificateDer<'static>,
    server_key: Vec<u8>,
}

fn make_pki(dir: &Path) -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&server_key, &issuer)
        .unwrap();

    let client_key = KeyPair::generate().unwrap();
    let client = CertificateParams::new(vec!["herald-ci".to_string()])
        .unwrap()
        .signed_by(&client_key, &issuer)
        .unwrap();

    std::fs::write(dir.join("ca.pem"), ca.pem()).unwrap();
    std::fs::write(
        dir.join("client.pem"),
        format!("{}{}", client.pem(), client_key.serialize_pem()),
    )
    .unwrap();
    std::fs::write(dir.join("garbage.pem"), "not a certificate\n").unwrap();
    Pki {
        ca_der: ca.der().clone(),
        server_der: server.der().clone(),
        server_key: server_key.serialize_der(),
    }
}

/// Starts a TLS proxy to `backend` on a thread of its own; returns its port.
fn tls_proxy(pki: &Pki, backend: SocketAddr, require_client_cert: bool) -> u16 {
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.server_key.clone()));
    let builder = rustls::ServerConfig::builder();
    let builder = if require_client_cert {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(pki.ca_der.clone()).unwrap();
        let verifier = rustls::server::WebPkiClientVerifier::builder(Arc::new(roots))
            .build()
            .unwrap();
        builder.with_client_cert_verifier(verifier)
    } else {
        builder.with_no_client_auth()
    };
    let config = builder
        .with_single_cert(vec![pki.server_der.clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));

    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let port = std_listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = TcpListener::from_std(std_listener).unwrap();
            loop {
                let (socket, _) = listener.accept().await.unwrap();
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    // A refused handshake (no or unknown client certificate) just ends this connection.
                    if let Ok(mut tls) = acceptor.accept(socket).await {
                        let mut upstream = TcpStream::connect(backend).await.unwrap();
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
                    }
                });
            }
        });
    });
    port
}

fn backend_addr(server: &Server) -> SocketAddr {
    server
        .url
        .trim_start_matches("http://")
        .parse()
        .expect("server address")
}

#[test]
fn https_registry_with_a_private_ca() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pki = make_pki(d);
    let port = tls_proxy(&pki, backend_addr(&server), false);
    let url = format!("https://localhost:{port}");

    let register = herald(
        d,
        &[
            "config",
            "set",
            "BACKWARD",
            "--registry",
            &url,
            "--ca-cert",
            "ca.pem",
        ],
    );
    assert_eq!(register.code, 0, "{register:?}");
    let got = herald(
        d,
        &["config", "get", "--registry", &url, "--ca-cert", "ca.pem"],
    );
    assert_eq!(got.code, 0, "{got:?}");
    assert!(got.stdout.contains("BACKWARD"), "{got:?}");

    let untrusted = herald(d, &["subjects", "--registry", &url]);
    assert_eq!(untrusted.code, 2, "{untrusted:?}");
    assert!(
        untrusted.stderr.to_lowercase().contains("certificate"),
        "the error names the certificate problem: {untrusted:?}"
    );

    let garbage = herald(
        d,
        &["subjects", "--registry", &url, "--ca-cert", "garbage.pem"],
    );
    assert_eq!(garbage.code, 2, "{garbage:?}");
    assert!(garbage.stderr.contains("garbage.pem"), "{garbage:?}");
}

#[test]
fn https_registry_that_demands_a_client_certificate() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pki = make_pki(d);
    let port = tls_proxy(&pki, backend_addr(&server), true);
    let url = format!("https://localhost:{port}");

    let refused = herald(d, &["subjects", "--registry", &url, "--ca-cert", "ca.pem"]);
    assert_eq!(refused.code, 2, "{refused:?}");

    let accepted = herald(
        d,
        &[
            "subjects",
            "--registry",
            &url,
            "--ca-cert",
            "ca.pem",
            "--client-cert",
            "client.pem",
        ],
    );
    assert_eq!(accepted.code, 0, "{accepted:?}");
}
