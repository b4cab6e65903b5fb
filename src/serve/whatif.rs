//! What-ifs from the page: each asked with a generation number; a newer one
//! stops the simulation of every older one (rapid slider moves cancel the
//! work they supersede instead of queueing it). A quick answer from fewer
//! runs comes first, then the full one; the last full answer is kept to
//! draw beside the next, and to save as report.html. Nothing is written to
//! any results folder.

use super::base::Base;
use crate::commands::run::{answer, Ask, Ran};
use crate::error::{Error, Result};
use crate::export::charts::{self, ChartData};
use crate::plan::Criterion;
use crate::scenario::Override;
use crate::simulation::{simulate_until, SimOptions};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Runs of the quick answer (or the scenario's runs, when fewer).
pub const QUICK_RUNS: u32 = 4;

/// What the page asks.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Asked {
    /// `KEY=VALUE` settings, as `--set` takes them.
    #[serde(default)]
    pub sets: Vec<String>,
    /// The old share to stay under (default 0.0001).
    pub tolerance: Option<f64>,
    /// The quick answer (fewer runs) rather than the full one.
    #[serde(default)]
    pub quick: bool,
    /// Increases with every change on the page; without it, a what-if
    /// supersedes every other.
    pub generation: Option<u64>,
}

impl Asked {
    fn criterion(&self) -> Result<Criterion> {
        match self.tolerance {
            None => Ok(Criterion::default()),
            Some(t) if t > 0.0 && t < 1.0 => Ok(Criterion::Tolerance(t)),
            Some(t) => Err(Error::Usage(format!(
                "tolerance {t}: give a share between 0 and 1, e.g. 0.0001 for 0.01 %"
            ))),
        }
    }

    /// The settings as one key, to know an answer already given.
    fn key(&self) -> String {
        format!("{:?} {:?}", self.sets, self.tolerance)
    }
}

/// A full answer kept: what was asked, and the run.
struct Kept {
    key: String,
    label: String,
    ran: Arc<Ran>,
}

/// An earlier answer as the page shows it beside a new one: its settings
/// in words, its charts' data and its answer.
type Before = (String, ChartData, String);

impl Kept {
    fn before(&self) -> Before {
        let answer = self.ran.decision.lines.first().cloned().unwrap_or_default();
        (
            self.label.clone(),
            ChartData::from_report(&self.ran.report()),
            answer,
        )
    }
}

/// The what-ifs in flight and the answers kept.
#[derive(Default)]
pub struct WhatIfs {
    /// The newest generation asked, and the flag that stops its simulations.
    newest: Mutex<(u64, Arc<AtomicBool>)>,
    /// The last two full answers with different settings (the newest last).
    kept: Mutex<Vec<Kept>>,
}

/// Why a what-if has no answer.
pub enum Refused {
    /// A newer what-if was asked meanwhile.
    Superseded,
    /// The settings or the scenario are wrong: the message says where.
    Bad(Error),
}

impl From<Error> for Refused {
    fn from(e: Error) -> Self {
        match e {
            Error::Interrupted => Refused::Superseded,
            e => Refused::Bad(e),
        }
    }
}

impl WhatIfs {
    /// The flag for `generation`: a newer generation sets every older one's.
    fn enter(&self, generation: Option<u64>) -> std::result::Result<Arc<AtomicBool>, Refused> {
        let mut newest = self.newest.lock().expect("not poisoned");
        let generation = generation.unwrap_or(newest.0 + 1);
        if generation < newest.0 {
            return Err(Refused::Superseded);
        }
        if generation > newest.0 {
            newest.1.store(true, Ordering::Relaxed);
            *newest = (generation, Arc::new(AtomicBool::new(false)));
        }
        Ok(newest.1.clone())
    }

    /// Simulates and answers `asked`: the decision, the charts as SVG and
    /// what the answer rests on.
    pub fn answer(
        &self,
        base: &Base,
        sim: &SimOptions,
        asked: &Asked,
    ) -> std::result::Result<Value, Refused> {
        let criterion = asked.criterion()?;
        let what_if = base.what_if(&asked.sets)?;
        let full = base.scenario(&what_if, &[])?;
        let stop = self.enter(asked.generation)?;
        let quick = asked.quick && full.runs > QUICK_RUNS;
        let scenario = if quick {
            let runs = Override::from_flag(
                "the quick answer's runs",
                "simulation.runs",
                &QUICK_RUNS.to_string(),
            )
            .map_err(Error::from)?;
            base.scenario(&what_if, &[runs])?
        } else {
            full
        };
        let warnings = scenario.warnings.clone();
        let quiet = SimOptions {
            quiet: true,
            ..sim.clone()
        };
        let simulated = simulate_until(scenario, &quiet, &stop)?;
        let ran = answer(
            simulated,
            PathBuf::new(),
            Ask {
                criterion,
                traffic: None,
            },
        );
        let ran = Arc::new(ran);
        let previous = if quick {
            self.latest()
        } else {
            self.keep(asked, ran.clone())
        };
        Ok(shown(
            &ran,
            quick,
            previous.as_ref(),
            &what_if.overrides,
            warnings,
        )?)
    }

    /// The latest full answer kept, to draw beside a quick one.
    fn latest(&self) -> Option<Before> {
        self.kept.lock().expect("not poisoned").last().map(Kept::before)
    }

    /// Keeps a full answer; returns the one before it with other settings.
    fn keep(&self, asked: &Asked, ran: Arc<Ran>) -> Option<Before> {
        let mut kept = self.kept.lock().expect("not poisoned");
        let key = asked.key();
        kept.retain(|k| k.key != key);
        let label = if asked.sets.is_empty() {
            "as the file says".to_string()
        } else {
            asked.sets.join(", ")
        };
        kept.push(Kept { key, label, ran });
        if kept.len() > 2 {
            kept.remove(0);
        }
        let previous = kept.len().checked_sub(2).map(|i| &kept[i]);
        previous.map(Kept::before)
    }

    /// The full answer kept for `asked`, if it is the one last given.
    pub fn kept(&self, asked: &Asked) -> Option<Arc<Ran>> {
        let kept = self.kept.lock().expect("not poisoned");
        kept.iter()
            .rev()
            .find(|k| k.key == asked.key())
            .map(|k| k.ran.clone())
    }

    /// report.html for `asked`: the full answer kept, or simulated anew
    /// (alone: it stops no what-if, and none stops it).
    pub fn report(&self, base: &Base, sim: &SimOptions, asked: &Asked) -> Result<Vec<u8>> {
        let ran = match self.kept(asked) {
            Some(ran) => ran,
            None => {
                let what_if = base.what_if(&asked.sets)?;
                let scenario = base.scenario(&what_if, &[])?;
                let quiet = SimOptions {
                    quiet: true,
                    ..sim.clone()
                };
                let simulated = simulate_until(scenario, &quiet, &AtomicBool::new(false))?;
                let ask = Ask {
                    criterion: asked.criterion()?,
                    traffic: None,
                };
                Arc::new(answer(simulated, PathBuf::new(), ask))
            }
        };
        crate::export::report_html(&ran.report())
    }
}

/// An answer as the page shows it.
pub fn shown(
    ran: &Ran,
    quick: bool,
    previous: Option<&Before>,
    overrides: &[Override],
    warnings: Vec<String>,
) -> Result<Value> {
    let data = ChartData::from_report(&ran.report());
    let chart = |name: &str| -> Result<String> {
        let svg =
            charts::run_svg(name, &data).map_err(|e| Error::Internal(format!("cannot draw {name}: {e}")))?;
        Ok(String::from_utf8_lossy(&svg.unwrap_or_default()).into_owned())
    };
    let mut drawn = serde_json::Map::new();
    for name in ["old_share", "old_share_log", "causes"] {
        drawn.insert(name.to_string(), Value::String(chart(name)?));
    }
    if let Some((label, before, _)) = previous {
        let series = [
            (format!("before: {label}"), before.clone()),
            ("now".to_string(), data.clone()),
        ];
        let svg = charts::compare_svg(&series).map_err(|e| Error::Internal(format!("cannot draw: {e}")))?;
        drawn.insert(
            "compare".into(),
            Value::String(String::from_utf8_lossy(&svg).into_owned()),
        );
    }
    let s = &ran.simulated.scenario;
    Ok(json!({
        "quick": quick,
        "runs": s.runs,
        "households": s.population.households,
        "wall_time_s": ran.simulated.wall_time_s,
        "decision": ran.decision.lines,
        "retire_after_s": ran.decision.retire_after.map(|ms| ms as f64 / 1000.0),
        "previous": previous.map(|(label, _, answer)| json!({"label": label, "answer": answer})),
        "charts": drawn,
        "overrides": overrides.iter().map(|o| o.argument.clone()).collect::<Vec<_>>(),
        "warnings": warnings,
    }))
}
