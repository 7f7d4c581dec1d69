//! The progress bar: drawn on standard error while the library loads a
//! journal, only on a terminal, never with `--quiet`, and only once the
//! work has taken a second (a quick command draws nothing).

use std::io::IsTerminal as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use fundledger_core::load::progress::{Progress, Step};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long work goes on before its bar is drawn.
const SHOW_AFTER: Duration = Duration::from_secs(1);

/// Where the library's progress goes: a bar on standard error when it is a
/// terminal and `quiet` is off; nowhere otherwise.
pub fn on_stderr(quiet: bool) -> Progress {
    if quiet || !std::io::stderr().is_terminal() {
        return Progress::default();
    }
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
    // When the current work started, and whether its bar is drawn.
    let state: Mutex<(Instant, bool)> = Mutex::new((Instant::now(), false));
    Progress::new(move |step| {
        let Ok(mut state) = state.lock() else {
            return;
        };
        match step {
            Step::Begin { what, total } => {
                bar.set_draw_target(ProgressDrawTarget::hidden());
                bar.reset();
                bar.set_length(total);
                bar.set_message(what.to_string());
                *state = (Instant::now(), false);
            }
            Step::Advance(done) => {
                bar.inc(done);
                if !state.1 && state.0.elapsed() >= SHOW_AFTER {
                    state.1 = true;
                    bar.set_style(
                        ProgressStyle::with_template(
                            "{msg} [{wide_bar}] {bytes}/{total_bytes} ({eta} left)",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> "),
                    );
                    bar.set_draw_target(ProgressDrawTarget::stderr());
                }
            }
            Step::End => {
                if state.1 {
                    bar.finish_and_clear();
                }
                bar.set_draw_target(ProgressDrawTarget::hidden());
                state.1 = false;
            }
        }
    })
}
