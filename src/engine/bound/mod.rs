//! The latest an old answer can reach a user, however many caches and
//! whatever their phases: the time after which a partition is quiet (no
//! request can reach an old address) and the plan's hard bound.
//!
//! Each layer is described by what it can hand downstream of an old answer
//! over time: at each moment, the largest TTL it can hand with one. Every
//! cache's lifetime rule is monotone in the TTL it receives, so the largest
//! is all a cache below needs. That reach is kept exactly, as the upper
//! envelope of two kinds of [`Atom`]: a flat one (an answer being fetched
//! now, handed with a TTL that does not run down) and a count-down one (a
//! stored copy handing what is left of its life). A cache turns each atom
//! above it into atoms of its own by its lifetime rule ([`Bounds::keep`],
//! clamping before stretching, as the engine does), plus what reloading,
//! restamping and serve-stale add. The chain's bound is where the last
//! atom at its leaf ends, plus a keep-alive connection's longest life.
//!
//! Pools of one layer are handled as the union of their atoms: a cache turns
//! each atom on its own, so the union over pools is the union over chains.
//! Device profiles pair an OS with an app, and are followed pair by pair.

mod reach;

use crate::duration::{Millis, FOREVER};
use crate::policy::Policy;
use crate::scenario::{Pool, Record, Scenario};
use reach::Reach;
use std::fmt;

/// What leaves the latest old answer without a bound.
#[derive(Clone, Debug, PartialEq)]
pub enum Open {
    /// A keep-alive connection with no maximum age and no server limit:
    /// `entry` is `app` or `device` (profiles), `index` its place.
    Connection {
        entry: &'static str,
        index: usize,
        name: String,
    },
    /// A cache that keeps or serves answers forever, and the setting that does.
    Forever { pool: String, setting: String },
    /// A weighted shift whose last step leaves this share of answers new.
    Split { new: f64 },
}

impl fmt::Display for Open {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Open::Connection { entry, index, name } => write!(
                f,
                "{entry} `{name}` keeps connections open with no maximum age ({entry}.{index}.connection.max_age), \
                 and no server limit closes them ([server] max_age or max_requests)"
            ),
            Open::Forever { pool, setting } => {
                write!(f, "{pool} keeps old answers forever ({setting})")
            }
            Open::Split { new } => write!(
                f,
                "the weights end with {}% of answers new (record.weights): the rest go to the old \
                 addresses for good",
                (new * 1000.0).round() / 10.0
            ),
        }
    }
}

/// The setting of `policy` that keeps answers forever, if one does.
fn keeps_forever(policy: &Policy) -> Option<&'static str> {
    if !policy.caches {
        return None;
    }
    if policy.fixed_ttl.is_some_and(|t| t >= FOREVER) {
        Some("fixed_ttl")
    } else if policy.fixed_ttl.is_none() && policy.min_ttl >= FOREVER {
        Some("min_ttl")
    } else if policy.fixed_ttl.is_none() && policy.ttl_addend >= FOREVER {
        Some("ttl_addend")
    } else if policy.serve_stale.is_some_and(|s| s.max_stale >= FOREVER) {
        Some("serve_stale.max_stale")
    } else {
        None
    }
}

/// The latest an old answer can reach a user behind the resolver pools
/// `resolvers` (indices into the scenario's: all of them, or one
/// partition's; none when no resolver caches), counted in ms from the
/// change; an answer reaches users until, not at, that time. Pools with no
/// share have no users and do not count.
pub fn latest_old_answer(scenario: &Scenario, resolvers: &[usize]) -> Result<Millis, Open> {
    let chains = Chains::of(scenario, resolvers);
    refuse_split(&scenario.record)?;
    Chains::refuse_forever(&[&chains.resolvers, &chains.routers, &chains.oses, &chains.apps])?;
    let at_router = chains.at_router(scenario);
    // Each leaf of the chains (an app, or a device profile) with what
    // reaches its user, and its pool for the connection it may keep.
    let leaves: Vec<(Reach, Option<&Layered>)> = if scenario.profiles {
        chains
            .oses
            .iter()
            .zip(&chains.apps)
            .map(|(os, app)| {
                (
                    at_router.through(&os.pool.policy).through(&app.pool.policy),
                    Some(app),
                )
            })
            .collect()
    } else {
        let at_os = through(&at_router, &chains.oses);
        if chains.apps.is_empty() {
            vec![(at_os, None)]
        } else {
            chains
                .apps
                .iter()
                .map(|app| (at_os.through(&app.pool.policy), Some(app)))
                .collect()
        }
    };
    let mut latest = scenario.record.last_switch();
    for (reach, app) in &leaves {
        let Some(end) = reach.latest() else { continue };
        let life = match app.and_then(|a| a.pool.connection.map(|c| (a, c))) {
            None => 0,
            Some((a, c)) => c.longest_life().ok_or_else(|| Open::Connection {
                entry: a.layer,
                index: a.index,
                name: a.pool.name.clone(),
            })?,
        };
        latest = latest.max(end.saturating_add(life));
    }
    Ok(latest.min(FOREVER))
}

/// The latest a device's household router (or, without one, the resolver)
/// can hand it an old answer behind the resolver pools `resolvers`: from
/// then on, a request that the device's own caches and connection cannot
/// answer reaches a new address, so only devices still holding an old
/// answer themselves can reach an old one. In ms from the change, as
/// [`latest_old_answer`].
pub fn latest_old_upstream(scenario: &Scenario, resolvers: &[usize]) -> Result<Millis, Open> {
    let chains = Chains::of(scenario, resolvers);
    refuse_split(&scenario.record)?;
    Chains::refuse_forever(&[&chains.resolvers, &chains.routers])?;
    let latest = chains.at_router(scenario).latest().unwrap_or(0);
    Ok(latest.max(scenario.record.last_switch()).min(FOREVER))
}

/// Until when a resolver under `policy` (`None`: no resolver cache) can
/// still ask the old provider, for a record that moves provider: while the
/// delegation it fetched just before the change lives, and the old provider
/// answers.
fn old_provider_until(record: &Record, policy: Option<&Policy>) -> Option<Millis> {
    let delegation = record.delegation?;
    let held = match policy {
        Some(p) if p.caches => p.lifetime(delegation.ns_ttl(p.ns)),
        _ => 0,
    };
    Some(delegation.old_provider.map_or(held, |end| held.min(end)))
}

/// A weighted shift that never makes every answer new, as an error.
fn refuse_split(record: &Record) -> Result<(), Open> {
    match (record.all_new_from(), record.weights.last()) {
        (None, Some(last)) => Err(Open::Split { new: last.new }),
        _ => Ok(()),
    }
}

/// The pools of every layer of the chains behind some resolver pools, and
/// how late secondaries serve the old zone.
struct Chains {
    resolvers: Vec<Layered>,
    routers: Vec<Layered>,
    oses: Vec<Layered>,
    apps: Vec<Layered>,
    lag: Millis,
}

impl Chains {
    fn of(scenario: &Scenario, resolvers: &[usize]) -> Chains {
        let auth = &scenario.authoritative;
        // Secondaries serve the old zone until NOTIFY or their next refresh.
        let lag = match (auth.secondaries, auth.notify_delay) {
            (0, _) => 0,
            (_, Some(delay)) => delay,
            (_, None) => auth.refresh,
        };
        let layer = |name: &'static str, part: &'static str, pools: &'_ [Pool], only: Option<&[usize]>| {
            let indices: Vec<usize> = only.map_or_else(|| (0..pools.len()).collect(), <[usize]>::to_vec);
            indices
                .into_iter()
                .filter(|&i| pools[i].share > 0.0)
                .map(|i| Layered {
                    layer: name,
                    part,
                    index: i,
                    pool: pools[i].clone(),
                })
                .collect::<Vec<Layered>>()
        };
        let (oses, apps) = if scenario.profiles {
            (
                layer("device", "os", &scenario.oses, None),
                layer("device", "app", &scenario.apps, None),
            )
        } else {
            (
                layer("os", "policy", &scenario.oses, None),
                layer("app", "policy", &scenario.apps, None),
            )
        };
        Chains {
            resolvers: layer("resolver", "policy", &scenario.resolvers, Some(resolvers)),
            routers: layer("router", "policy", &scenario.routers, None),
            oses,
            apps,
            lag,
        }
    }

    /// The first pool among `layers` that keeps old answers forever, as an error.
    fn refuse_forever(layers: &[&[Layered]]) -> Result<(), Open> {
        match layers
            .iter()
            .flat_map(|pools| pools.iter())
            .find_map(Layered::forever)
        {
            Some(open) => Err(open),
            None => Ok(()),
        }
    }

    /// What the household routers hand their devices. Only resolvers keep
    /// an alias apart from its target's addresses, and a delegation.
    fn at_router(&self, scenario: &Scenario) -> Reach {
        let record = &scenario.record;
        let target_ttl = record.longest_address_ttl();
        let upstream = |policy: Option<&Policy>| {
            Reach::authoritative(record, self.lag, old_provider_until(record, policy))
        };
        let at_resolver = if self.resolvers.is_empty() {
            let reach = upstream(None);
            match record.alias {
                None => reach,
                Some(_) => reach.capped(target_ttl),
            }
        } else {
            Reach::union(self.resolvers.iter().map(|p| {
                let policy = &p.pool.policy;
                let reach = upstream(Some(policy));
                match record.alias {
                    None => reach.through(policy),
                    Some(_) => reach.behind_alias(policy, target_ttl),
                }
            }))
        };
        through(&at_resolver, &self.routers)
    }
}

/// A pool in use at a layer, with where the scenario sets its policy:
/// `layer.index.part` (`app.0.policy`, or `device.2.os` for a profile).
struct Layered {
    layer: &'static str,
    part: &'static str,
    index: usize,
    pool: Pool,
}

impl Layered {
    /// What makes this pool keep old answers forever, if anything does.
    fn forever(&self) -> Option<Open> {
        let key = keeps_forever(&self.pool.policy)?;
        Some(Open::Forever {
            pool: format!("{} `{}`", self.layer, self.pool.name),
            setting: format!("{}.{}.{}: {key}", self.layer, self.index, self.part),
        })
    }
}

/// What the caches of a layer's `pools` hand downstream of `reach` (all of
/// it where the layer has no pool: no cache, requests pass through).
fn through(reach: &Reach, pools: &[Layered]) -> Reach {
    if pools.is_empty() {
        return reach.clone();
    }
    Reach::union(pools.iter().map(|p| reach.through(&p.pool.policy)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duration::{HOUR, MINUTE, SECOND};
    use crate::scenario::parse;

    fn scenario(ttl: &str, body: &str) -> Scenario {
        let text = format!(
            "[record]\nttl = \"{ttl}\"\nold = [\"192.0.2.1\"]\nnew = [\"192.0.2.2\"]\n[population]\nhouseholds = 10\nrequests_per_day = 10\n{body}"
        );
        parse(&text, "t.toml", &[]).unwrap()
    }

    fn bound(ttl: &str, body: &str) -> Result<Millis, Open> {
        let s = scenario(ttl, body);
        let all: Vec<usize> = (0..s.resolvers.len()).collect();
        latest_old_answer(&s, &all)
    }

    const HONOUR: &str = "[[resolver]]\nshare = 1.0\npolicy = \"honour\"\n";

    #[test]
    fn count_down_caches_add_nothing_and_pins_add_their_lifetime() {
        let os = "[[os]]\nshare = 1.0\npolicy = \"honour\"\n";
        assert_eq!(bound("5m", &format!("{HONOUR}{os}")), Ok(5 * MINUTE));
        let pinned = format!(
            "[[resolver]]\nshare = 1.0\npolicy = {{ fixed_ttl = \"24h\" }}\n{os}[[app]]\nshare = 1.0\npolicy = {{ fixed_ttl = \"60s\" }}\n"
        );
        // Fetched by the pin just before the change, kept a day; the app's
        // copy fetched a moment before that ends adds its minute.
        assert_eq!(bound("5m", &pinned), Ok(24 * HOUR + 60 * SECOND));
        let restamp = format!("[[resolver]]\nshare = 1.0\npolicy = {{ restamp = true }}\n{os}");
        assert_eq!(bound("5m", &restamp), Ok(10 * MINUTE));
    }

    #[test]
    fn a_cache_stretches_the_ttl_it_clamped() {
        // Every answer is held 5 min and then stretched: 450 s.
        let clamped = "[[resolver]]\nshare = 1.0\npolicy = { min_ttl = \"5m\", ttl_factor = 1.5 }\n";
        assert_eq!(bound("20s", clamped), Ok(450 * SECOND));
        // macOS at TTL 1 s behind an honouring resolver: a copy taken as
        // the resolver's runs out is held its 15 s floor.
        let macos = format!("{HONOUR}[[os]]\nshare = 1.0\npolicy = \"macos\"\n");
        assert_eq!(bound("1s", &macos), Ok(16 * SECOND));
        // A stretch never reaches past what the maximum lets it keep:
        // a day's pin below macOS is held at most 1 h × 1.25 + 2 s more.
        let pinned =
            "[[resolver]]\nshare = 1.0\npolicy = \"isp-pin-24h\"\n[[os]]\nshare = 1.0\npolicy = \"macos\"\n";
        assert_eq!(bound("5m", pinned), Ok(24 * HOUR + 15 * MINUTE + 2 * SECOND));
    }

    #[test]
    fn a_pool_without_users_does_not_count() {
        let body = "[[resolver]]\nshare = 1.0\npolicy = \"honour\"\n[[resolver]]\nshare = 0.0\npolicy = \"isp-pin-24h\"\n";
        assert_eq!(bound("5m", body), Ok(5 * MINUTE));
    }

    #[test]
    fn a_reloading_os_cache_answers_until_its_next_prune() {
        // The last reload can fetch the resolver's old answer just before
        // it expires, and answers until the next prune, 15 s later at most.
        let nscd = format!("{HONOUR}[[os]]\nshare = 1.0\npolicy = \"nscd\"\n");
        assert_eq!(bound("5m", &nscd), Ok(5 * MINUTE + 15 * SECOND));
    }

    #[test]
    fn serve_stale_answers_once_more_within_its_window() {
        let stale = "[[resolver]]\nshare = 1.0\npolicy = { serve_stale = { max_stale = \"1h\", reply_ttl = \"30s\" } }\n[[os]]\nshare = 1.0\npolicy = \"honour\"\n";
        // The resolver's copy can expire as late as 5 min; a request up to
        // an hour later gets it, and the OS keeps it 30 s.
        assert_eq!(bound("5m", stale), Ok(HOUR + 5 * MINUTE + 30 * SECOND));
    }

    #[test]
    fn a_connection_without_a_maximum_age_has_no_bound() {
        let open = "[[app]]\nname = \"browser\"\nshare = 1.0\npolicy = \"none\"\nconnection = { idle_timeout = \"115s\" }\n";
        let reason = bound("5m", open).unwrap_err().to_string();
        assert!(
            reason.contains("`browser`") && reason.contains("app.0.connection.max_age"),
            "{reason}"
        );
        // No cache keeps the answer: the last old one is handed out at the
        // change, and its connection may live an hour more.
        let capped = open.replace("115s\" }", "115s\", max_age = \"1h\" }");
        assert_eq!(bound("5m", &capped), Ok(HOUR));
    }

    #[test]
    fn a_cache_that_keeps_forever_is_named() {
        let jvm = "[[app]]\nname = \"old-jvm\"\nshare = 1.0\npolicy = \"java-security-manager\"\n";
        let reason = bound("5m", jvm).unwrap_err().to_string();
        assert!(
            reason.contains("app `old-jvm`") && reason.contains("app.0.policy: fixed_ttl"),
            "{reason}"
        );
    }

    #[test]
    fn schedules_and_secondaries_count_from_the_last_old_answer_served() {
        let text = |schedule: &str, extra: &str| {
            format!(
                "[record]\nttl = \"1d\"\nold = [\"192.0.2.1\"]\nnew = [\"192.0.2.2\"]\n{schedule}\n{extra}[population]\nhouseholds = 10\nrequests_per_day = 10\n{HONOUR}"
            )
        };
        let at = |text: String| latest_old_answer(&parse(&text, "t.toml", &[]).unwrap(), &[0]);
        // The TTL lowered 48 h before the change: a day's answers fetched
        // then are gone a day before the last 60 s one.
        let lowered = "schedule = [{ at = \"-48h\", ttl = \"60s\" }]";
        assert_eq!(at(text(lowered, "")), Ok(60 * SECOND));
        // Lowered only 12 h before: a day's answer fetched then outlives it.
        let late = "schedule = [{ at = \"-12h\", ttl = \"60s\" }]";
        assert_eq!(at(text(late, "")), Ok(12 * HOUR));
        // A secondary without NOTIFY serves the old zone until its refresh.
        let secondary = "[authoritative]\nsecondaries = 1\nnotify = false\nrefresh = \"1h\"\n";
        assert_eq!(at(text(lowered, secondary)), Ok(HOUR + 60 * SECOND));
    }
}
