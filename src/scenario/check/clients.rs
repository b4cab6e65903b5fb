//! Checking the client side: device profiles (`[[device]]`), keep-alive
//! connections, app restarts, and the site's servers (`[server]`), whose
//! limits close connections from the other end.

use super::{Checked, Checker};
use crate::client;
use crate::duration::FOREVER;
use crate::policy::{self, Policy};
use crate::scenario::model::{Connection, Pool, MAX_POOLS};
use crate::scenario::raw::{RawConnection, RawDevice, RawScenario, RawServer};
use crate::server::{self, Server};

impl Checker<'_> {
    /// An app's keep-alive connection as the client keeps it: a client
    /// preset, or a table (optionally starting from one).
    pub(super) fn connection(&self, raw: &RawConnection, key: &str) -> Checked<Connection> {
        let (preset, table) = match raw {
            RawConnection::Preset(name) => (Some((name, key.to_string())), None),
            RawConnection::Table(t) => (t.preset.as_ref().map(|n| (n, format!("{key}.preset"))), Some(t)),
        };
        let mut connection = Connection {
            idle_timeout: 0,
            max_age: FOREVER,
            max_requests: u32::MAX,
        };
        if let Some((name, at)) = preset {
            connection.idle_timeout = match client::client_preset(name) {
                Some(p) => p.idle_timeout,
                None => {
                    let names: Vec<&str> = client::CLIENT_PRESETS.iter().map(|p| p.name).collect();
                    return self.unknown_name(&at, "client preset", name, &names);
                }
            };
        }
        if let Some(t) = table {
            match &t.idle_timeout {
                Some(v) => {
                    connection.idle_timeout = self.positive_duration(v, &format!("{key}.idle_timeout"))?
                }
                None if t.preset.is_none() => {
                    return self.fail(
                        &format!("{key}.idle_timeout"),
                        "missing: give idle_timeout (e.g. \"300s\") or a client preset (preset = \"okhttp\")",
                    )
                }
                None => {}
            }
            if let Some(v) = &t.max_age {
                connection.max_age = self.positive_duration(v, &format!("{key}.max_age"))?;
            }
        }
        Ok(connection)
    }

    /// Why a pool is assumed: a sentence, said beside every answer that
    /// rests on the pool.
    pub(super) fn assumed(&self, why: Option<&str>, key: &str) -> Checked<Option<String>> {
        match why.map(str::trim) {
            Some("") => self.fail(
                key,
                "empty: say why the pool is assumed, e.g. \"share and lifetime unmeasured\"",
            ),
            other => Ok(other.map(String::from)),
        }
    }

    /// App restarts per day: a rate of 0 or more (none when not given).
    pub(super) fn restarts(&self, value: Option<f64>, key: &str) -> Checked<f64> {
        let rate = value.unwrap_or(0.0);
        if !(rate.is_finite() && rate >= 0.0) {
            return self.fail(key, format!("{rate}: accepted is a rate of 0 or more"));
        }
        Ok(rate)
    }

    /// Profiles give each device its OS and app together, so a scenario
    /// with them cannot also draw OS and app on their own.
    pub(super) fn no_layers_beside_profiles(&self, raw: &RawScenario) -> Checked<()> {
        for (layer, given) in [("os", raw.os.len()), ("app", raw.app.len())] {
            if given > 0 {
                return self.fail(
                    &format!("{layer}.0"),
                    format!(
                        "[[{layer}]] and [[device]] cannot be used together: a [[device]] profile gives \
                         its devices an OS and an app together, [[os]] and [[app]] draw them on their own. \
                         Move each [[{layer}]] entry into the profiles that use it (os = \"windows\", \
                         app = \"chrome\") or drop the [[device]] entries"
                    ),
                );
            }
        }
        Ok(())
    }

    /// Device profiles as the engine takes them: one OS pool and one app
    /// pool per profile, at the same index.
    pub(super) fn devices(&self, raw: &[RawDevice]) -> Checked<(Vec<Pool>, Vec<Pool>)> {
        if raw.len() > MAX_POOLS {
            return self.fail(
                "device",
                format!("{} [[device]] entries; accepted: at most {MAX_POOLS}", raw.len()),
            );
        }
        let no_cache = || policy::preset("none").expect("the none preset").policy.clone();
        let (mut oses, mut apps) = (Vec::new(), Vec::new());
        for (i, d) in raw.iter().enumerate() {
            let key = format!("device.{i}");
            let name = d.name.clone().unwrap_or_else(|| format!("device-{i}"));
            let share = self.share(d.share, &format!("{key}.share"))?;
            let assumed = self.assumed(d.assumed.as_deref(), &format!("{key}.assumed"))?;
            let policy = |raw: &Option<_>, layer: &str| -> Checked<Policy> {
                let policy = raw
                    .as_ref()
                    .map_or_else(|| Ok(no_cache()), |p| self.policy(p, &format!("{key}.{layer}")))?;
                self.reload_only_at_os(&policy, layer, &format!("{key}.{layer}.reload"))?;
                Ok(policy)
            };
            let pool = |policy: Policy| Pool {
                name: name.clone(),
                share,
                instances: 1,
                policy,
                connection: None,
                restarts_per_day: 0.0,
                assumed: assumed.clone(),
            };
            oses.push(pool(policy(&d.os, "os")?));
            apps.push(Pool {
                connection: match &d.connection {
                    Some(c) => Some(self.connection(c, &format!("{key}.connection"))?),
                    None => None,
                },
                restarts_per_day: self.restarts(d.restarts_per_day, &format!("{key}.restarts_per_day"))?,
                ..pool(policy(&d.app, "app")?)
            });
        }
        self.shares_add_up(&apps, "device")?;
        Ok((oses, apps))
    }

    /// The site's servers' keep-alive limits: a preset, or a table of them
    /// (optionally starting from a preset).
    pub(super) fn server(&self, raw: Option<&RawServer>) -> Checked<Option<Server>> {
        let table = match raw {
            None => return Ok(None),
            Some(RawServer::Preset(name)) => return self.server_preset(name, "server").map(Some),
            Some(RawServer::Table(t)) => t,
        };
        let mut server = match &table.preset {
            Some(name) => self.server_preset(name, "server.preset")?,
            None => Server::UNLIMITED,
        };
        if let Some(v) = &table.idle_timeout {
            server.idle_timeout = self.positive_duration(v, "server.idle_timeout")?;
        }
        if let Some(v) = &table.max_age {
            server.max_age = self.positive_duration(v, "server.max_age")?;
        }
        if let Some(n) = table.max_requests {
            if !(1..u32::MAX as i64).contains(&n) {
                return self.fail(
                    "server.max_requests",
                    format!("{n}: accepted are 1 to {} requests per connection", u32::MAX - 1),
                );
            }
            server.max_requests = n as u32;
        }
        Ok(Some(server))
    }

    fn server_preset(&self, name: &str, key: &str) -> Checked<Server> {
        if let Some(p) = server::server_preset(name) {
            return Ok(p.server);
        }
        let names: Vec<&str> = server::SERVER_PRESETS.iter().map(|p| p.name).collect();
        self.unknown_name(key, "server preset", name, &names)
    }

    /// Each app's connection as the server lets it live. A server with no
    /// connection to limit changes nothing, which is worth saying.
    pub(super) fn limit_connections(&mut self, apps: &mut [Pool], server: &Server, profiles: bool) {
        let mut limited = false;
        for app in apps.iter_mut() {
            if let Some(c) = &mut app.connection {
                *c = c.limited_by(server);
                limited = true;
            }
        }
        if !limited {
            let layer = if profiles { "[[device]]" } else { "[[app]]" };
            let warning = self.locator.error(
                self.file,
                "server",
                format!(
                    "no {layer} entry keeps a keep-alive connection (connection = {{ idle_timeout = … }}), \
                     so the server's limits change nothing"
                ),
            );
            self.warnings.push(warning.to_string());
        }
    }
}
