//! Progress of long work, told to whoever asked: the library counts, the
//! binary draws (a bar on a terminal) or not.
//!
//! A [`Progress`] is carried in [`crate::Settings`] (default: nobody is
//! told), so every load made with those settings reports: `check`, a
//! report's load, and both loads of an import. Loading tells it the bytes
//! of the journal done out of the journal's size, once per segment read
//! (a few hundred times for a large journal), so the cost is nothing next
//! to the work.

use std::fmt;
use std::sync::Arc;

/// What a long piece of work says as it goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step<'a> {
    /// Work starts: what it is, and how many units it has (bytes).
    Begin {
        /// What is being done ("loading journal.ledger").
        what: &'a str,
        /// How many units the work has in all (0 when not known).
        total: u64,
    },
    /// This many more units are done.
    Advance(u64),
    /// The work is over.
    End,
}

/// What is told each [`Step`].
type Observer = dyn Fn(Step<'_>) + Send + Sync;

/// Whom to tell about progress; cheap to clone (shared).
#[derive(Clone, Default)]
pub struct Progress(Option<Arc<Observer>>);

impl Progress {
    /// Tells `observer` every [`Step`].
    pub fn new(observer: impl Fn(Step<'_>) + Send + Sync + 'static) -> Self {
        Progress(Some(Arc::new(observer)))
    }

    /// Tells the observer, if there is one.
    pub fn tell(&self, step: Step<'_>) {
        if let Some(observer) = &self.0 {
            observer(step);
        }
    }
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Progress(observed)"
        } else {
            "Progress(none)"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn an_observer_hears_every_step_and_none_costs_nothing() {
        let heard = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&heard);
        let progress = Progress::new(move |step| {
            log.lock().unwrap().push(format!("{step:?}"));
        });
        progress.tell(Step::Begin {
            what: "loading",
            total: 10,
        });
        progress.tell(Step::Advance(4));
        progress.tell(Step::End);
        assert_eq!(
            *heard.lock().unwrap(),
            [
                "Begin { what: \"loading\", total: 10 }",
                "Advance(4)",
                "End"
            ]
        );
        Progress::default().tell(Step::End);
        assert_eq!(format!("{:?}", Progress::default()), "Progress(none)");
    }
}
