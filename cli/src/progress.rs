//! The progress bar of a listing: on stderr, only when stderr is a terminal
//! and `-q` was not given, so pipes and logs never see control sequences.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ssocred_core::aws::discovery::ListingProgress;

pub struct ListingBar {
    bar: Option<ProgressBar>,
}

impl ListingBar {
    pub fn new(quiet: bool) -> ListingBar {
        if quiet || !std::io::stderr().is_terminal() {
            return ListingBar { bar: None };
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} accounts {msg} ({elapsed})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix("listing roles");
        ListingBar { bar: Some(bar) }
    }

    pub fn update(&self, progress: ListingProgress) {
        let Some(bar) = &self.bar else { return };
        bar.set_length(progress.accounts_found as u64);
        bar.set_position(progress.accounts_done as u64);
        bar.set_message(message(progress));
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// The bar's message: whether more accounts are coming and whether the
/// portal is throttling, with the pace the limiter has settled on.
fn message(progress: ListingProgress) -> String {
    let mut parts = Vec::new();
    if !progress.all_accounts_found {
        parts.push("(more accounts coming)".to_owned());
    }
    if let Some(rate) = progress.throttled_rate {
        parts.push(format!("(portal throttling: {rate} req/s)"));
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_shows_when_the_portal_throttles() {
        let mut progress = ListingProgress {
            accounts_found: 100,
            accounts_done: 10,
            all_accounts_found: false,
            throttled_rate: None,
        };
        assert_eq!(message(progress), "(more accounts coming)");
        progress.throttled_rate = Some(14);
        assert_eq!(
            message(progress),
            "(more accounts coming) (portal throttling: 14 req/s)"
        );
        progress.all_accounts_found = true;
        assert_eq!(message(progress), "(portal throttling: 14 req/s)");
        progress.throttled_rate = None;
        assert_eq!(message(progress), "");
    }
}
