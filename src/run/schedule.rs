//! The one scheduler every command that runs or grades hands its work to (`eval`, `grade`,
//! `corpus verify`): at most `jobs` pieces of work at a time on one async runtime, and one
//! place that decides whether the next piece may start.
//!
//! Work enters as a slice of items and an async function over one item; it leaves as one
//! [`Scheduled`] per item, in the items' order: what the work returned, or why it never
//! started — an interrupt (SIGINT, SIGTERM) or a spent [`AgentBudget`]. Work already
//! running always finishes; only new work is held back.

use std::future::Future;
use std::sync::Mutex;

use crate::error::{Error, Result};

/// What the agents may spend in one eval (`[budget.agents]`, `--max-tokens`, `--max-usd`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct AgentBudget {
    /// Tokens in and out, over every agent run.
    pub max_tokens: Option<u64>,
    /// Dollars: what the runtimes report, or their tokens at the prices the eval gives.
    pub max_usd: Option<f64>,
}

impl AgentBudget {
    pub fn is_set(&self) -> bool {
        self.max_tokens.is_some() || self.max_usd.is_some()
    }

    /// The limit that `spent` has reached, as a person reads it; `None` while neither has.
    pub fn spent_by(&self, spent: Spend) -> Option<String> {
        if let Some(max) = self.max_tokens
            && spent.tokens >= max
        {
            return Some(format!(
                "the agents' budget of {max} tokens is spent ({} used)",
                spent.tokens
            ));
        }
        if let Some(max) = self.max_usd
            && spent.usd >= max
        {
            return Some(format!(
                "the agents' budget of ${max:.2} is spent (${:.2} used)",
                spent.usd
            ));
        }
        None
    }
}

/// What a piece of work cost.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Spend {
    pub tokens: u64,
    pub usd: f64,
}

impl std::ops::AddAssign for Spend {
    fn add_assign(&mut self, other: Spend) {
        self.tokens = self.tokens.saturating_add(other.tokens);
        self.usd += other.usd;
    }
}

/// Why a piece of work was never started.
#[derive(Debug, Clone, PartialEq)]
pub enum Held {
    /// SIGINT or SIGTERM (the signal's number) asked the command to stop.
    Interrupted(i32),
    /// The agents' budget is spent: the message says which limit and how much was used.
    Budget(String),
}

/// One item's outcome.
#[derive(Debug)]
pub enum Scheduled<O> {
    Done(O),
    Held(Held),
}

/// An async runtime, a number of slots, and the budgets of the groups of work it runs
/// (one per eval).
#[derive(Debug)]
pub struct Scheduler {
    runtime: tokio::runtime::Runtime,
    jobs: usize,
    budgets: Vec<AgentBudget>,
    spent: Mutex<Vec<Spend>>,
}

impl Scheduler {
    /// A scheduler running at most `jobs` pieces of work at a time (at least one). From
    /// here on, SIGINT and SIGTERM stop the command cleanly ([`crate::interrupt`]).
    pub fn new(jobs: usize) -> Result<Scheduler> {
        crate::interrupt::install()
            .map_err(|e| Error::Unexpected(format!("cannot handle SIGINT and SIGTERM: {e}")))?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(jobs.clamp(1, 8))
            .enable_all()
            .build()
            .map_err(|e| Error::Unexpected(format!("cannot start the async runtime: {e}")))?;
        Ok(Scheduler {
            runtime,
            jobs: jobs.max(1),
            budgets: vec![AgentBudget::default()],
            spent: Mutex::new(vec![Spend::default()]),
        })
    }

    /// No new work starts once `budget` is spent.
    #[must_use]
    pub fn with_budget(self, budget: AgentBudget) -> Scheduler {
        self.with_budgets(vec![budget])
    }

    /// Group `i`'s work (see [`Scheduler::run_grouped`]) starts no more once `budgets[i]`
    /// is spent.
    #[must_use]
    pub fn with_budgets(mut self, budgets: Vec<AgentBudget>) -> Scheduler {
        self.spent = Mutex::new(vec![Spend::default(); budgets.len()]);
        self.budgets = budgets;
        self
    }

    /// What group `group`'s work has cost so far.
    pub fn spent(&self, group: usize) -> Spend {
        self.spent
            .lock()
            .ok()
            .and_then(|s| s.get(group).copied())
            .unwrap_or_default()
    }

    /// Why new work of `group` may not start now, if it may not.
    fn hold(&self, group: usize) -> Option<Held> {
        if let Some(signal) = crate::interrupt::requested() {
            return Some(Held::Interrupted(signal));
        }
        self.budgets
            .get(group)
            .and_then(|b| b.spent_by(self.spent(group)))
            .map(Held::Budget)
    }

    /// Runs `work` on every item, at most `jobs` at a time, and returns each item's
    /// outcome in the items' order. `cost` says what a finished piece of work spent; it is
    /// charged to the budget before the next piece is admitted.
    pub fn run_all<'a, T, O, Fut>(
        &self,
        items: &'a [T],
        work: impl Fn(&'a T) -> Fut,
        cost: impl Fn(&O) -> Spend,
    ) -> Vec<Scheduled<O>>
    where
        Fut: Future<Output = O>,
    {
        self.run_grouped(items, |_| (0, true), work, cost)
    }

    /// [`Scheduler::run_all`] over items of several groups: `group` says each item's group
    /// and whether it may cost anything (work that costs nothing — a stored result reused —
    /// is never held by the budget). The groups share the slots; each is held by its own
    /// budget.
    pub fn run_grouped<'a, T, O, Fut>(
        &self,
        items: &'a [T],
        group: impl Fn(&T) -> (usize, bool),
        work: impl Fn(&'a T) -> Fut,
        cost: impl Fn(&O) -> Spend,
    ) -> Vec<Scheduled<O>>
    where
        Fut: Future<Output = O>,
    {
        use futures::StreamExt;
        let (work, cost, group) = (&work, &cost, &group);
        // The work of an item is made only when a slot is free for it: a future per item
        // made up front (10,000 runs) would hold every run's state machine at once.
        let started = futures::stream::iter(items.iter().enumerate())
            .map(|(index, item)| async move {
                let (g, costs) = group(item);
                match self.hold(g) {
                    Some(Held::Budget(_)) if !costs => {}
                    Some(held) => return (index, Scheduled::Held(held)),
                    None => {}
                }
                let output = work(item).await;
                let spend = cost(&output);
                if let Ok(mut spent) = self.spent.lock()
                    && let Some(s) = spent.get_mut(g)
                {
                    *s += spend;
                }
                (index, Scheduled::Done(output))
            })
            .buffer_unordered(self.jobs);
        let mut outputs: Vec<Option<Scheduled<O>>> = items.iter().map(|_| None).collect();
        self.runtime.block_on(started.for_each(|(index, output)| {
            outputs[index] = Some(output);
            std::future::ready(())
        }));
        outputs.into_iter().flatten().collect()
    }

    /// Runs one future to completion on the scheduler's runtime.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn at_most_jobs_run_at_once_and_outputs_keep_their_order() {
        let scheduler = Scheduler::new(2).expect("runtime");
        let running = AtomicUsize::new(0);
        let most = AtomicUsize::new(0);
        let items: Vec<u32> = (0..8).collect();
        let out = scheduler.run_all(
            &items,
            |i| {
                let (running, most) = (&running, &most);
                async move {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                    running.fetch_sub(1, Ordering::SeqCst);
                    i * 10
                }
            },
            |_| Spend::default(),
        );
        let values: Vec<u32> = out
            .into_iter()
            .map(|s| match s {
                Scheduled::Done(v) => v,
                Scheduled::Held(h) => panic!("held: {h:?}"),
            })
            .collect();
        assert_eq!(values, (0..8).map(|i| i * 10).collect::<Vec<_>>());
        assert_eq!(most.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_spent_budget_starts_no_new_work_and_says_why() {
        let scheduler = Scheduler::new(1)
            .expect("runtime")
            .with_budget(AgentBudget {
                max_tokens: Some(250),
                max_usd: None,
            });
        let items: Vec<u64> = vec![100; 5];
        let out = scheduler.run_all(
            &items,
            |t| async move { *t },
            |t| Spend {
                tokens: *t,
                usd: 0.0,
            },
        );
        let done = out
            .iter()
            .filter(|s| matches!(s, Scheduled::Done(_)))
            .count();
        // One at a time: 100, 200, 300 — the third run crossed the limit, the rest wait.
        assert_eq!(done, 3);
        match &out[4] {
            Scheduled::Held(Held::Budget(why)) => {
                assert_eq!(why, "the agents' budget of 250 tokens is spent (300 used)");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(scheduler.spent(0).tokens, 300);
    }

    #[test]
    fn each_group_is_held_by_its_own_budget_and_the_slots_are_shared() {
        let scheduler = Scheduler::new(1).expect("runtime").with_budgets(vec![
            AgentBudget {
                max_tokens: Some(1),
                max_usd: None,
            },
            AgentBudget::default(),
        ]);
        // (group, tokens): group 0 spends its budget on its first item; group 1 has none.
        let items: Vec<(usize, u64)> = vec![(0, 5), (1, 5), (0, 5), (1, 5), (0, 5)];
        let out = scheduler.run_grouped(
            &items,
            |(g, _)| (*g, true),
            |(_, t)| async move { *t },
            |t| Spend {
                tokens: *t,
                usd: 0.0,
            },
        );
        let done: Vec<bool> = out
            .iter()
            .map(|s| matches!(s, Scheduled::Done(_)))
            .collect();
        assert_eq!(done, [true, true, false, true, false]);
        assert_eq!(scheduler.spent(0).tokens, 5);
        assert_eq!(scheduler.spent(1).tokens, 10);
    }

    #[test]
    fn a_money_budget_is_checked_in_dollars() {
        let budget = AgentBudget {
            max_tokens: None,
            max_usd: Some(1.0),
        };
        assert_eq!(
            budget.spent_by(Spend {
                tokens: 10,
                usd: 0.5
            }),
            None
        );
        assert_eq!(
            budget
                .spent_by(Spend {
                    tokens: 10,
                    usd: 1.25
                })
                .as_deref(),
            Some("the agents' budget of $1.00 is spent ($1.25 used)")
        );
    }
}
