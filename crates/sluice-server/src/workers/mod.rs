//! Background workers. Each exposes one step, `run_once`, that does a bounded amount of work
//! and says whether it found any; the loop around it only decides when to step again. Tests
//! step workers to idle instead of sleeping.

pub mod delivery;
pub mod expiry;
pub mod tracker;

/// What one step of a worker did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// It did this much work; step again at once.
    Worked(usize),
    /// Nothing to do; wait for the next tick.
    Idle,
}
