//! The `-v` trace of one invocation.

/// Diagnostics for `-v`: each step, on stderr, never a secret.
#[derive(Debug, Clone, Copy, Default)]
pub struct Trace {
    on: bool,
}

impl Trace {
    /// Tracing on when `verbose`.
    pub fn new(verbose: bool) -> Self {
        Trace { on: verbose }
    }

    /// Whether tracing is on.
    pub fn is_on(self) -> bool {
        self.on
    }

    /// Prints `message()` as `ssocred: ...` on stderr when tracing is on.
    pub fn say(self, message: impl FnOnce() -> String) {
        if self.on {
            // What a step quotes may come from the portal: escaped, one line.
            crate::stderr_line!("ssocred: {}", crate::domain::text::visible(&message()));
        }
    }
}
