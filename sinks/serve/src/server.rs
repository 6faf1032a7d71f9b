//! The endpoint's own accept loop: axum's router behind hyper connections
//! that hostile local clients can neither pile up nor hold open.
//!
//! `axum::serve` has no header timeout and no connection limit, and its
//! graceful shutdown waits for every client to leave: idle sockets could
//! exhaust the process's file descriptors, and one half-sent request could
//! delay the end of `serve` or `exec --via serve` for as long as its client
//! liked. Here every connection must send a request head within
//! [`HEADER_READ_TIMEOUT`] of connecting or of its previous response, at most
//! a quarter of the file-descriptor limit (and [`MAX_CONNECTIONS`]) are open
//! at once, the least recently active idle one making room for a newcomer,
//! and a stop drops whatever is still open after [`SHUTDOWN_GRACE`].

use std::collections::HashMap;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Request;
use axum::response::Response;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::Service;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinSet;

/// How long a client has to send a whole request head, counted from its
/// connection or from the end of its previous response (so it is also the
/// keep-alive idle timeout).
pub(crate) const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(5);

/// How long requests being answered get to finish once the endpoint stops.
pub(crate) const SHUTDOWN_GRACE: Duration = Duration::from_millis(250);

/// The most connections open at once, whatever the file-descriptor limit.
pub(crate) const MAX_CONNECTIONS: usize = 256;

/// The fewest, however low the file-descriptor limit.
const MIN_CONNECTIONS: usize = 8;

/// The pause after a failed accept (out of file descriptors, most likely),
/// so the loop does not spin while the condition lasts.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// The bounds the server keeps.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Open connections at most.
    pub(crate) connections: usize,
    /// See [`HEADER_READ_TIMEOUT`].
    pub(crate) header_read: Duration,
    /// See [`SHUTDOWN_GRACE`].
    pub(crate) grace: Duration,
}

impl Limits {
    /// The defaults, with a connection cap of a quarter of this process's
    /// file-descriptor limit, so connections can never take the descriptors
    /// the rest of ssocred needs.
    pub(crate) fn for_this_process() -> Limits {
        let soft = ssocred_core::os::limits::open_files();
        let quarter = soft.map_or(MAX_CONNECTIONS, |n| {
            usize::try_from(n / 4).unwrap_or(MAX_CONNECTIONS)
        });
        Limits {
            connections: quarter.clamp(MIN_CONNECTIONS, MAX_CONNECTIONS),
            header_read: HEADER_READ_TIMEOUT,
            grace: SHUTDOWN_GRACE,
        }
    }
}

/// Serves `app` on `listener` until `stopped` fires (or its sender is
/// dropped), then gives requests in progress [`Limits::grace`] to finish and
/// drops every connection still open.
pub(crate) async fn run(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    stopped: oneshot::Receiver<()>,
) {
    let table = Table::new(limits.connections);
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read);
    let app = TowerToHyperService::new(app);
    let (stopping, stop_seen) = watch::channel(());
    let mut connections = JoinSet::new();
    let mut stopped = std::pin::pin!(stopped);
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            // Reaps finished connections, which a JoinSet keeps until asked.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // Full of connections all answering requests: the
                    // newcomer is closed and may retry.
                    let Some((id, evicted)) = table.admit() else { continue };
                    let service = Answering { app: app.clone(), table: table.clone(), id };
                    let connection = http.serve_connection(TokioIo::new(stream), service);
                    let stop_seen = stop_seen.clone();
                    let entry = Entry { table: table.clone(), id };
                    connections.spawn(serve(connection, evicted, stop_seen, entry));
                    // Let the new connection read the request it may already
                    // have sent (and so turn busy, which eviction spares)
                    // before the next newcomer can evict it.
                    tokio::task::yield_now().await;
                }
                Err(_) => tokio::time::sleep(ACCEPT_BACKOFF).await,
            },
        }
    }
    drop(listener);
    let _ = stopping.send(());
    let drained = async { while connections.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(limits.grace, drained).await;
    connections.shutdown().await;
}

/// One connection, until it ends, is evicted, or the stop's grace is over
/// (when the JoinSet aborts it). A stop lets a request in progress finish
/// and closes an idle connection at once.
async fn serve(
    connection: http1::Connection<TokioIo<TcpStream>, Answering>,
    evicted: oneshot::Receiver<()>,
    mut stop_seen: watch::Receiver<()>,
    _entry: Entry,
) {
    let mut connection = std::pin::pin!(connection);
    tokio::select! {
        _ = connection.as_mut() => return,
        _ = evicted => return,
        _ = stop_seen.changed() => connection.as_mut().graceful_shutdown(),
    }
    let _ = connection.await;
}

/// The router, with its connection marked busy while it answers a request,
/// so that eviction only ever closes idle connections.
struct Answering {
    app: TowerToHyperService<Router>,
    table: Table,
    id: u64,
}

impl Service<Request<Incoming>> for Answering {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        self.table.lock().set_idle_since(self.id, None);
        let busy = Busy(self.table.clone(), self.id);
        let answer = self.app.call(request);
        Box::pin(async move {
            let response = answer.await;
            drop(busy);
            response
        })
    }
}

/// Marks its connection idle again when the request is answered (or its
/// future dropped).
struct Busy(Table, u64);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.lock().set_idle_since(self.1, Some(Instant::now()));
    }
}

/// A connection's place in the table, given up when its task ends.
struct Entry {
    table: Table,
    id: u64,
}

impl Drop for Entry {
    fn drop(&mut self) {
        self.table.lock().open.remove(&self.id);
    }
}

/// The open connections, shared by the accept loop and the connections.
#[derive(Clone)]
struct Table(Arc<Mutex<Open>>);

struct Open {
    cap: usize,
    next_id: u64,
    open: HashMap<u64, Tracked>,
}

struct Tracked {
    /// `None` while a request is being answered.
    idle_since: Option<Instant>,
    /// Dropping it ends the connection.
    _evict: oneshot::Sender<()>,
}

impl Table {
    fn new(cap: usize) -> Table {
        Table(Arc::new(Mutex::new(Open {
            cap,
            next_id: 0,
            open: HashMap::new(),
        })))
    }

    fn lock(&self) -> MutexGuard<'_, Open> {
        // A poisoned lock only means a connection task panicked; the table
        // itself is always whole.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a new connection, first closing the least recently active
    /// idle one when the table is full; `None` when every open connection is
    /// answering a request. The receiver fires when the connection is
    /// evicted.
    fn admit(&self) -> Option<(u64, oneshot::Receiver<()>)> {
        let mut open = self.lock();
        if open.open.len() >= open.cap {
            let (_, oldest) = open
                .open
                .iter()
                .filter_map(|(id, tracked)| tracked.idle_since.map(|since| (since, *id)))
                .min()?;
            // Dropping the entry's sender ends that connection's task.
            open.open.remove(&oldest);
        }
        let id = open.next_id;
        open.next_id += 1;
        let (evict, evicted) = oneshot::channel();
        open.open.insert(
            id,
            Tracked {
                idle_since: Some(Instant::now()),
                _evict: evict,
            },
        );
        Some((id, evicted))
    }
}

impl Open {
    fn set_idle_since(&mut self, id: u64, since: Option<Instant>) {
        if let Some(tracked) = self.open.get_mut(&id) {
            tracked.idle_since = since;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{ErrorKind, Read, Write};
    use std::net::TcpStream;

    use super::*;
    use crate::{DEFAULT_LISTEN, Endpoint};

    fn endpoint(connections: usize) -> Endpoint {
        let limits = Limits {
            connections,
            // Long enough never to close a connection during the test.
            header_read: Duration::from_secs(600),
            grace: SHUTDOWN_GRACE,
        };
        Endpoint::start_with(DEFAULT_LISTEN, false, limits).unwrap()
    }

    fn connect(endpoint: &Endpoint) -> TcpStream {
        let rest = endpoint.url().strip_prefix("http://").unwrap();
        TcpStream::connect(rest.split('/').next().unwrap()).unwrap()
    }

    /// Whether the server closed `stream`, waiting up to `patience`.
    fn closed(stream: &mut TcpStream, patience: Duration) -> bool {
        stream.set_read_timeout(Some(patience)).unwrap();
        match stream.read(&mut [0; 1]) {
            Ok(0) => true,
            Ok(_) => panic!("unexpected data"),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => false,
            Err(_) => true,
        }
    }

    /// Sends one keep-alive request and reads its whole (JSON) answer.
    fn request(stream: &mut TcpStream) {
        let host = stream.peer_addr().unwrap();
        stream
            .write_all(format!("GET /credentials HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes())
            .unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut answer = Vec::new();
        while !(answer.ends_with(b"}") && answer.windows(4).any(|w| w == b"\r\n\r\n")) {
            let mut chunk = [0; 1024];
            let n = stream.read(&mut chunk).unwrap();
            assert_ne!(n, 0, "closed mid-answer");
            answer.extend_from_slice(&chunk[..n]);
        }
        assert!(answer.starts_with(b"HTTP/1.1 401"));
    }

    #[test]
    fn a_full_table_closes_the_least_recently_active_idle_connection() {
        let endpoint = endpoint(3);
        let mut a = connect(&endpoint);
        let mut b = connect(&endpoint);
        let mut c = connect(&endpoint);
        // c, then a have just been answered, so b is now the least recently
        // active: it was accepted before c (the backlog is in order), and c
        // was answered before a. (Answering only a would leave it to timing
        // whether b and c were accepted before a's answer.)
        request(&mut c);
        request(&mut a);
        let mut d = connect(&endpoint);
        assert!(closed(&mut b, Duration::from_secs(30)), "b was not evicted");
        let short = Duration::from_millis(300);
        for (name, stream) in [("a", &mut a), ("c", &mut c), ("d", &mut d)] {
            assert!(!closed(stream, short), "{name} was closed");
        }
        let mut e = connect(&endpoint);
        assert!(closed(&mut c, Duration::from_secs(30)), "c was not evicted");
        for (name, stream) in [("a", &mut a), ("d", &mut d), ("e", &mut e)] {
            assert!(!closed(stream, short), "{name} was closed");
        }
        // The survivors are still served.
        request(&mut a);
        request(&mut e);
    }

    #[test]
    fn at_the_cap_only_an_idle_connection_makes_room() {
        let table = Table::new(2);
        let (first, mut first_evicted) = table.admit().unwrap();
        let (second, mut second_evicted) = table.admit().unwrap();
        table.lock().set_idle_since(first, None);
        table.lock().set_idle_since(second, None);
        assert!(table.admit().is_none(), "both are answering requests");
        table.lock().set_idle_since(second, Some(Instant::now()));
        let (third, _) = table.admit().unwrap();
        assert!(second_evicted.try_recv().is_err(), "the idle one made room");
        assert_eq!(
            first_evicted.try_recv(),
            Err(oneshot::error::TryRecvError::Empty),
            "the busy one stays"
        );
        let open = table.lock();
        let mut ids: Vec<u64> = open.open.keys().copied().collect();
        ids.sort_unstable();
        assert_eq!(ids, [first, third]);
    }

    #[test]
    fn a_stop_does_not_wait_for_a_half_sent_request() {
        let endpoint = endpoint(MAX_CONNECTIONS);
        let mut half = connect(&endpoint);
        half.write_all(b"GET /credentials HTTP/1.1\r\nHost:")
            .unwrap();
        let mut idle = connect(&endpoint);
        request(&mut idle);
        // Dropped on a thread of its own, so a stop that waits for the
        // clients fails the test instead of hanging it.
        let (dropped, done) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            drop(endpoint);
            let _ = dropped.send(());
        });
        // The grace is 250 ms; the rest is slack for a loaded machine.
        assert!(
            done.recv_timeout(Duration::from_secs(2)).is_ok(),
            "the stop waited for the clients"
        );
        assert!(closed(&mut half, Duration::from_secs(5)));
        assert!(closed(&mut idle, Duration::from_secs(5)));
    }
}
