//! The progress bar of a listing: on stderr, only when stderr is a terminal
//! and `-q` was not given, so pipes and logs never see control sequences.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use ssocred_core::discovery::ListingProgress;

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
        if !progress.all_accounts_found {
            bar.set_message("(more accounts coming)");
        } else {
            bar.set_message("");
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
