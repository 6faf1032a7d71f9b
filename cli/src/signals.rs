//! SIGINT and SIGTERM: a clean stop for the long-running modes; every
//! catchable terminating signal: forwarding to the child of `ssocred exec`.

use std::future::Future;
use std::thread::JoinHandle;

use rustix::process::{Pid, Signal, kill_process};
use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};
use signal_hook::iterator::exfiltrator::WithOrigin;
use signal_hook::iterator::{Handle, SignalsInfo};
use signal_hook::low_level::siginfo::Cause;
use ssocred_core::Error;
use tokio::sync::oneshot;

/// The signals that stop a long-running mode.
const STOPPING: [i32; 2] = [SIGINT, SIGTERM];

/// The signals `exec` passes on: every one whose default action ends a
/// process and that can be caught. (SIGKILL cannot be; SIGALRM, SIGPIPE and
/// the like are about ssocred's own doings, not requests to the command.)
const FORWARDED: [i32; 6] = [SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2];

fn catch(signals: &[i32]) -> Result<SignalsInfo<WithOrigin>, Error> {
    SignalsInfo::<WithOrigin>::new(signals)
        .map_err(|e| Error::Internal(format!("cannot install signal handlers: {e}")))
}

fn name(signal: i32) -> &'static str {
    if signal == SIGINT {
        "SIGINT"
    } else {
        "SIGTERM"
    }
}

/// A thread reading caught signals; closed and joined on drop.
struct Reader {
    handle: Handle,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.handle.close();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// SIGINT and SIGTERM turned into a request to stop, so that a long-running
/// mode ends between two deliveries (never in the middle of a write).
pub(crate) struct StopSignal {
    received: Option<oneshot::Receiver<i32>>,
    _reader: Reader,
}

impl StopSignal {
    /// Catches SIGINT and SIGTERM from now on.
    pub(crate) fn install() -> Result<StopSignal, Error> {
        let mut signals = catch(&STOPPING)?;
        let handle = signals.handle();
        let (tx, rx) = oneshot::channel();
        let thread = std::thread::spawn(move || {
            let mut tx = Some(tx);
            // Later signals are still caught (and ignored): the stop is
            // already under way.
            for origin in signals.forever() {
                if let Some(tx) = tx.take() {
                    let _ = tx.send(origin.signal);
                }
            }
        });
        Ok(StopSignal {
            received: Some(rx),
            _reader: Reader {
                handle,
                thread: Some(thread),
            },
        })
    }

    /// Resolves when the first signal arrives, and logs it.
    pub(crate) fn received(&mut self) -> impl Future<Output = ()> + use<> {
        let received = self.received.take();
        async move {
            let Some(received) = received else {
                return std::future::pending().await;
            };
            match received.await {
                Ok(signal) => ssocred_core::stderr_line!("ssocred: stopping on {}", name(signal)),
                // The reader ended without a signal: never stop for that.
                Err(_) => std::future::pending().await,
            }
        }
    }
}

/// SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1 and SIGUSR2 caught before a
/// child is spawned, so none is lost between the spawn and the start of
/// forwarding, and none ends ssocred while the child runs on.
pub(crate) struct Caught(SignalsInfo<WithOrigin>);

impl Caught {
    /// Catches the forwarded signals from now on.
    pub(crate) fn install() -> Result<Caught, Error> {
        catch(&FORWARDED).map(Caught)
    }

    /// Forwards every caught signal to `child` until the returned forwarder
    /// is dropped.
    ///
    /// A signal the kernel sent (Ctrl-C or Ctrl-\ at the terminal, or the
    /// SIGHUP of a terminal hanging up) is not forwarded: the kernel signals
    /// the whole foreground process group, the child included, and a second
    /// copy would make many programs skip their graceful shutdown. Whatever a
    /// process sent with kill(2) reached ssocred alone and is passed on.
    pub(crate) fn forward_to(self, child: Pid) -> Forwarder {
        let mut signals = self.0;
        let handle = signals.handle();
        let thread = std::thread::spawn(move || {
            for origin in signals.forever() {
                if origin.cause == Cause::Kernel {
                    continue;
                }
                if let Some(signal) = Signal::from_named_raw(origin.signal) {
                    // Fails only when the child is already gone.
                    let _ = kill_process(child, signal);
                }
            }
        });
        Forwarder(Reader {
            handle,
            thread: Some(thread),
        })
    }
}

/// Forwarding in progress; stops on drop.
pub(crate) struct Forwarder(Reader);

impl Forwarder {
    /// Stops forwarding.
    pub(crate) fn stop(self) {
        drop(self.0);
    }
}
