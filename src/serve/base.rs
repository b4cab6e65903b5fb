//! The scenario `serve` starts from, and what its page may change: the
//! file's text with the command line's overrides, the values its controls
//! show, and each what-if as overrides checked exactly as `--set` is.

use crate::error::{Error, Result};
use crate::fit::free;
use crate::scenario::{self, Override, Scenario};
use crate::simulation::SimOptions;
use serde_json::{json, Value};

/// The scenario as the command line gave it.
pub struct Base {
    pub text: String,
    pub file: String,
    /// The command line's `--set`, `--runs` and `--seed` (or those the
    /// results folder was simulated with).
    pub overrides: Vec<Override>,
    pub scenario: Scenario,
}

/// A what-if's overrides: the page's, then the shares they rescale.
pub struct WhatIf {
    pub overrides: Vec<Override>,
}

impl Base {
    /// Reads the scenario file (or a results folder's runs), checked as
    /// `run` checks it.
    pub fn load(sim: &SimOptions) -> Result<Base> {
        if sim.scenario.is_dir() {
            return Base::from_folder(sim);
        }
        let scenario = sim.load(&[])?;
        Ok(Base {
            text: scenario.text.clone(),
            file: scenario.file.clone(),
            overrides: sim.overrides()?,
            scenario,
        })
    }

    /// The scenario a results folder was simulated from (its runs are
    /// simulated again on the page: same scenario, seed and runs, same
    /// answer).
    fn from_folder(sim: &SimOptions) -> Result<Base> {
        let dir = &sim.scenario;
        if !sim.sets.is_empty() || sim.runs.is_some() || sim.seed.is_some() {
            return Err(Error::Usage(format!(
                "{}: a results folder is served with the scenario, seed and runs it holds; to change \
                 them (--set, --runs, --seed), serve the scenario file instead, or change them on the page",
                dir.display()
            )));
        }
        let runs = dir.join(crate::export::RUNS_FILE);
        if !runs.is_file() {
            return Err(Error::Usage(format!(
                "{}: no {} here (not a results folder, or one written by an older cachesim); serve the \
                 scenario file instead",
                dir.display(),
                crate::export::RUNS_FILE
            )));
        }
        let s = crate::commands::merge::merged(&[runs])?.scenario;
        let overrides = s
            .overrides
            .iter()
            .map(|o| Override::parse(o).map_err(Error::from))
            .collect::<Result<Vec<_>>>()?;
        Ok(Base {
            text: s.text.clone(),
            file: s.file.clone(),
            overrides,
            scenario: s,
        })
    }

    /// The page's `KEY=VALUE` settings as overrides, each share rescaling
    /// the rest of its layer as `fit --free` does; errors say which setting.
    pub fn what_if(&self, sets: &[String]) -> Result<WhatIf> {
        let mut overrides = Vec::new();
        let mut shares = Vec::new();
        for set in sets {
            let mut o = Override::parse(set)?;
            o.written = format!("the page's {set}");
            let parts: Vec<&str> = o.path.split('.').collect();
            if let ([layer, index, "share"], Some(share)) = (&parts[..], o.value.as_float()) {
                if let Ok(index) = index.parse() {
                    shares.push((layer.to_string(), index, share));
                }
            }
            overrides.push(o);
        }
        let rescaled = free::rescaled(&self.scenario, &shares, "the page's").ok_or_else(|| {
            Error::Usage("the shares set add up to more than 1 within a layer: lower one of them".into())
        })?;
        overrides.extend(rescaled);
        Ok(WhatIf { overrides })
    }

    /// The scenario with `what_if` applied after the command line's
    /// overrides, and `extra` (the quick answer's runs) after that.
    pub fn scenario(&self, what_if: &WhatIf, extra: &[Override]) -> Result<Scenario> {
        let all = [&self.overrides[..], &what_if.overrides[..], extra].concat();
        Ok(scenario::parse(&self.text, &self.file, &all)?)
    }

    /// The user's file with the command line's and the page's values
    /// written in (comments, order and units kept), as `fitted.toml` is.
    pub fn saved_toml(&self, what_if: &WhatIf, sets: &[String]) -> Result<String> {
        let all = [&self.overrides[..], &what_if.overrides[..]].concat();
        let edited =
            crate::fit::fitted_file::edited(&self.text, &all).map_err(|e| Error::Usage(e.to_string()))?;
        let mut head = format!("# Saved by cachesim serve from {}", self.file);
        if sets.is_empty() {
            head.push_str(" as it was.\n");
        } else {
            head.push_str(&format!(" with {}.\n", sets.join(", ")));
        }
        Ok(head + &edited)
    }

    /// What the page's controls start from.
    pub fn controls(&self, live: bool) -> Value {
        let s = &self.scenario;
        let table = scenario::table_with(&self.text, &self.overrides).unwrap_or_default();
        let at = |path: &[&str]| -> Option<&toml::Value> {
            let (first, rest) = path.split_first()?;
            rest.iter().try_fold(table.get(*first)?, |v, k| v.get(*k))
        };
        let text = |path: &[&str]| at(path).map(|v| v.as_str().map_or_else(|| v.to_string(), String::from));
        let pools = |key: &str, label: &str, pools: &[crate::scenario::Pool]| {
            json!({
                "key": key,
                "label": label,
                "pools": pools.iter().map(|p| json!({
                    "name": p.name,
                    "share": p.share,
                    "assumed": p.assumed.is_some(),
                })).collect::<Vec<_>>(),
            })
        };
        let mut layers = vec![pools("resolver", "Resolvers", &s.resolvers)];
        if s.profiles {
            layers.push(pools("device", "Devices", &s.apps));
        } else {
            layers.push(pools("os", "Operating systems", &s.oses));
            layers.push(pools("app", "Apps", &s.apps));
        }
        layers.push(pools("router", "Home routers", &s.routers));
        layers.retain(|l| l["pools"].as_array().is_some_and(|p| p.len() > 1));
        json!({
            "name": s.name,
            "description": s.description,
            "file": self.file,
            "runs": s.runs,
            "households": s.population.households,
            "ttl": text(&["record", "ttl"]),
            "schedule": at(&["record", "schedule"]).map(|v| v.to_string()),
            "server": text(&["server"]),
            "servers": crate::server::SERVER_PRESETS.iter().map(|p| json!({
                "name": p.name, "summary": p.summary,
            })).collect::<Vec<_>>(),
            "layers": layers,
            "tolerance": crate::plan::DEFAULT_TOLERANCE,
            "command_line": self.overrides.iter().map(|o| o.argument.clone()).collect::<Vec<_>>(),
            "live": live,
        })
    }
}
