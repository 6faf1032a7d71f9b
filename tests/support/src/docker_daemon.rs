//! A stand-in for the Docker daemon's API on 127.0.0.1 (plain HTTP, for
//! `DOCKER_HOST=tcp://…`), so the real docker CLI can run `docker pull` and
//! `docker build` to the point where it hands the daemon the registry
//! credentials its credential helper gave it.
//!
//! It records every request's method, path and headers
//! ([`DockerDaemonStandIn::requests`]; `X-Registry-Auth` and
//! `X-Registry-Config` carry the credentials), answers `/_ping` with API
//! version 1.41 and everything else with a one-line JSON progress message.
//! Request bodies (a build context, chunked or not) are read and dropped.
//! One request per connection (`Connection: close`); plain std threads.

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// The API version the stand-in claims; docker 20.10 and later speak it.
const API_VERSION: &str = "1.41";
/// How long a client may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest head line read.
const MAX_LINE: u64 = 64 * 1024;

/// One request the stand-in received.
#[derive(Debug, Clone)]
pub struct DaemonRequest {
    /// `GET`, `HEAD`, `POST`...
    pub method: String,
    /// The request target, query included.
    pub path: String,
    /// The headers, names in lower case.
    pub headers: BTreeMap<String, String>,
}

/// A running stand-in daemon; dropping it stops it.
pub struct DockerDaemonStandIn {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<DaemonRequest>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl DockerDaemonStandIn {
    /// Starts serving on a free port of 127.0.0.1.
    ///
    /// # Errors
    ///
    /// When no port can be bound.
    pub fn start() -> io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (requests, stop) = (Arc::clone(&requests), Arc::clone(&stop));
            std::thread::Builder::new()
                .name("docker-daemon-stand-in".to_owned())
                .spawn(move || {
                    for stream in listener.incoming() {
                        if stop.load(Ordering::SeqCst) {
                            break;
                        }
                        let Ok(stream) = stream else { continue };
                        let requests = Arc::clone(&requests);
                        std::thread::spawn(move || {
                            // A client that hangs up only loses its request.
                            let _ = serve_one(stream, &requests);
                        });
                    }
                })?
        };
        Ok(Self {
            addr,
            requests,
            stop,
            thread: Some(thread),
        })
    }

    /// The value for `DOCKER_HOST`: `tcp://127.0.0.1:PORT`.
    pub fn docker_host(&self) -> String {
        format!("tcp://{}", self.addr)
    }

    /// Every request so far, in the order they were read.
    pub fn requests(&self) -> Vec<DaemonRequest> {
        self.requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl std::fmt::Debug for DockerDaemonStandIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DockerDaemonStandIn")
            .field("docker_host", &self.docker_host())
            .finish_non_exhaustive()
    }
}

impl Drop for DockerDaemonStandIn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn read_line(reader: &mut impl BufRead) -> io::Result<String> {
    let mut line = Vec::new();
    reader
        .by_ref()
        .take(MAX_LINE)
        .read_until(b'\n', &mut line)?;
    Ok(String::from_utf8_lossy(&line).trim_end().to_owned())
}

fn serve_one(mut stream: TcpStream, requests: &Mutex<Vec<DaemonRequest>>) -> io::Result<()> {
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let request_line = read_line(&mut reader)?;
    let mut words = request_line.split(' ');
    let method = words.next().unwrap_or_default().to_owned();
    let path = words.next().unwrap_or_default().to_owned();
    let mut headers = BTreeMap::new();
    loop {
        let line = read_line(&mut reader)?;
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
        }
    }
    drain_body(&mut reader, &headers)?;
    let ping = path.ends_with("/_ping");
    requests
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(DaemonRequest {
            method: method.clone(),
            path,
            headers,
        });
    let body = if ping {
        "OK"
    } else {
        "{\"status\":\"done\"}\n"
    };
    let content_type = if ping {
        "text/plain"
    } else {
        "application/json"
    };
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nApi-Version: {API_VERSION}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if method != "HEAD" {
        stream.write_all(body.as_bytes())?;
    }
    stream.flush()
}

/// Reads and drops a request body sent with `Content-Length` or chunked.
fn drain_body(reader: &mut impl BufRead, headers: &BTreeMap<String, String>) -> io::Result<()> {
    if let Some(length) = headers
        .get("content-length")
        .and_then(|l| l.parse::<u64>().ok())
    {
        io::copy(&mut reader.by_ref().take(length), &mut io::sink())?;
    } else if headers
        .get("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        loop {
            let size_line = read_line(reader)?;
            let size = u64::from_str_radix(size_line.split(';').next().unwrap_or("").trim(), 16)
                .map_err(|_| io::Error::other("a bad chunk size"))?;
            // The chunk and its CRLF; after the last (empty) chunk, the CRLF
            // that ends the (absent) trailers.
            io::copy(&mut reader.by_ref().take(size + 2), &mut io::sink())?;
            if size == 0 {
                break;
            }
        }
    }
    Ok(())
}
