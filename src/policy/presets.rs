//! Presets: the cache policies of real software, each with the source its
//! values come from, so `cachesim presets` can cite it.

use super::{Ns, Policy, Prefetch, Reload, ServeStale};
use crate::duration::{Millis, DAY, FOREVER, HOUR, MINUTE, SECOND};

/// Which layer a preset is meant for (advice only; any preset fits any layer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PresetKind {
    Resolver,
    Router,
    Os,
    App,
}

impl PresetKind {
    pub fn label(self) -> &'static str {
        match self {
            PresetKind::Resolver => "resolver",
            PresetKind::Router => "router",
            PresetKind::Os => "os",
            PresetKind::App => "app",
        }
    }
}

/// A named policy of real software, with where its values come from.
pub struct Preset {
    pub name: &'static str,
    pub kind: PresetKind,
    pub summary: &'static str,
    pub source: &'static str,
    pub policy: Policy,
}

const fn honour(min_ttl: Millis, max_ttl: Millis) -> Policy {
    Policy {
        min_ttl,
        max_ttl,
        ..Policy::HONOUR
    }
}

/// Unbound's defaults: TTLs honoured up to a day, and a delegation kept
/// for the parent's NS TTL (the record-chain lab, docs/lab.md).
const fn unbound() -> Policy {
    Policy {
        ns: Ns::Parent,
        ..honour(0, DAY)
    }
}

const fn fixed(lifetime: Millis) -> Policy {
    Policy {
        fixed_ttl: Some(lifetime),
        ..Policy::HONOUR
    }
}

/// Google and Cloudflare do not publish how many independent caches stand
/// behind one address; cachesim assumes this many and says so.
pub const PUBLIC_RESOLVER_SHARDS: u32 = 8;

/// mDNSResponder, on macOS and iOS alike. The 15 s floor after stretching:
/// 1.25 t + 2 s ≥ 15 s from t = 10.4 s.
const MACOS: Policy = Policy {
    ttl_factor: 1.25,
    ttl_addend: 2 * SECOND,
    ..honour(10_400, HOUR)
};

/// Every preset, in the order `cachesim presets` lists them.
pub static PRESETS: &[Preset] = {
    use PresetKind::*;
    &[
        Preset {
            name: "honour",
            kind: Resolver,
            summary: "honours every TTL exactly (same as an empty table {})",
            source: "RFC 1035 §3.2.1",
            policy: Policy::HONOUR,
        },
        Preset {
            name: "unbound",
            kind: Resolver,
            summary: "honours TTL, cache-max-ttl 1 d, cache-min-ttl 0; prefetch and serve-expired off; keeps a delegation for the parent's NS TTL",
            source: "NLnetLabs/unbound doc/unbound.conf.rst (cache-min-ttl, cache-max-ttl, prefetch, serve-expired), util/config_file.c; ns: cachesim's record-chain lab (Unbound 1.17.1 asked the parent again every parent NS TTL, whatever the provider's own)",
            policy: unbound(),
        },
        Preset {
            name: "unbound-prefetch",
            kind: Resolver,
            summary: "Unbound with prefetch: yes (refresh on a hit in the last 10 % of the TTL)",
            source: "NLnetLabs/unbound doc/unbound.conf.rst (prefetch)",
            policy: Policy {
                prefetch: Some(Prefetch { fraction: 0.1, trigger: 0, eligible: 0 }),
                ..unbound()
            },
        },
        Preset {
            name: "unbound-serve-expired",
            kind: Resolver,
            summary: "Unbound 1.23.0 and later with serve-expired: yes: tries for a fresh answer for 1.8 s first, so a working authoritative gives fresh ones (as unbound)",
            source: "NLnetLabs/unbound doc/unbound.conf.rst (serve-expired-client-timeout default 1800, serve-expired-ttl 86400), doc/Changelog 22 November 2024 (#1175, released in 1.23.0)",
            policy: unbound(),
        },
        Preset {
            name: "unbound-serve-expired-1.22",
            kind: Resolver,
            summary: "Unbound before 1.23.0 with serve-expired: yes: stale answers at once (reply TTL 30 s), with no limit on how long expired",
            source: "NLnetLabs/unbound doc/Changelog 22 November 2024 (#1175: serve-expired-client-timeout and serve-expired-ttl defaults were 0), doc/unbound.conf.rst (serve-expired-reply-ttl 30)",
            policy: Policy {
                serve_stale: Some(ServeStale { max_stale: FOREVER, reply_ttl: 30 * SECOND }),
                ..unbound()
            },
        },
        Preset {
            name: "bind",
            kind: Resolver,
            summary: "honours TTL, max-cache-ttl 7 d; prefetch 2 9 (refresh when ≤ 2 s remain, TTL ≥ 9 s)",
            source: "isc-projects/bind9 bin/include/defaultconfig.h, doc/arm/reference.rst (max-cache-ttl, prefetch)",
            policy: Policy {
                prefetch: Some(Prefetch { fraction: 0.0, trigger: 2 * SECOND, eligible: 9 * SECOND }),
                ..honour(0, 7 * DAY)
            },
        },
        Preset {
            name: "powerdns-recursor",
            kind: Resolver,
            summary: "max-cache-ttl 1 d, minimum-ttl-override 1 s; refresh-on-ttl-perc off",
            source: "PowerDNS/pdns pdns/recursordist/rec-rust-lib/table.py",
            policy: honour(SECOND, DAY),
        },
        Preset {
            name: "knot-resolver",
            kind: Resolver,
            summary: "Knot Resolver 5.6.0 and later, and 6: min TTL 5 s, max TTL 1 d; serve-stale off",
            source: "CZ-NIC/knot-resolver lib/defines.h at v5.6.0 (KR_CACHE_DEFAULT_TTL_MIN 5, _MAX 1 day), python/knot_resolver/datamodel/cache_schema.py at v6.4.2 (ttl-max 1d)",
            policy: honour(5 * SECOND, DAY),
        },
        Preset {
            name: "knot-resolver-5.5",
            kind: Resolver,
            summary: "Knot Resolver 5.0 to 5.5: min TTL 5 s, max TTL 6 d (like the root NS TTL)",
            source: "CZ-NIC/knot-resolver lib/defines.h at v5.5.0 (KR_CACHE_DEFAULT_TTL_MAX 6 * 24 * 3600)",
            policy: honour(5 * SECOND, 6 * DAY),
        },
        Preset {
            name: "coredns",
            kind: Resolver,
            summary: "cache plugin: min TTL 5 s, max TTL 1 h; prefetch and serve-stale off",
            source: "coredns/coredns plugin/cache/README.md",
            policy: honour(5 * SECOND, HOUR),
        },
        Preset {
            name: "coredns-kubernetes",
            kind: Resolver,
            summary: "Kubernetes' default Corefile `cache 30`: TTLs capped at 30 s",
            source: "kubernetes cluster/addons/dns/coredns/coredns.yaml.base",
            policy: honour(5 * SECOND, 30 * SECOND),
        },
        Preset {
            name: "google-public-dns",
            kind: Resolver,
            summary: "honours TTL up to 6 h (measured); 8 independent caches behind one address (count unpublished: assumed)",
            source: "nullrouted.space, DNS TTL limits at public DNS resolvers (2023: a TTL of 86400 s answered as 21600 s); Google Public DNS FAQ (shard count assumed by cachesim)",
            policy: Policy {
                shards: PUBLIC_RESOLVER_SHARDS,
                ..honour(0, 6 * HOUR)
            },
        },
        Preset {
            name: "cloudflare-1111",
            kind: Resolver,
            summary: "honours TTL; 8 independent caches per location (count unpublished: assumed)",
            source: "developers.cloudflare.com 1.1.1.1 troubleshooting (shard count assumed by cachesim)",
            policy: Policy {
                shards: PUBLIC_RESOLVER_SHARDS,
                ..Policy::HONOUR
            },
        },
        Preset {
            name: "isp-min-1h",
            kind: Resolver,
            summary: "ISP resolver with a minimum caching time of 1 h",
            source: "behaviour class: Bhowmick et al., TTL Violation of DNS Resolvers in the Wild, PAM 2023",
            policy: honour(HOUR, FOREVER),
        },
        Preset {
            name: "isp-pin-24h",
            kind: Resolver,
            summary: "ISP resolver that keeps every answer 24 h whatever its TTL",
            source: "behaviour class: the worst case operators report",
            policy: fixed(DAY),
        },
        Preset {
            name: "dnsmasq",
            kind: Router,
            summary: "honours TTL (min-cache-ttl and max-cache-ttl unset)",
            source: "dnsmasq man/dnsmasq.8, src/config.h",
            policy: Policy::HONOUR,
        },
        Preset {
            name: "windows",
            kind: Os,
            summary: "Windows DNS Client: honours TTL, MaxCacheTtl 1 d",
            source: "Microsoft KB 318803 (MaxCacheTtl; unverified)",
            policy: honour(0, DAY),
        },
        Preset {
            name: "macos",
            kind: Os,
            summary: "mDNSResponder: min(TTL, 1 h) × 1.25 + 2 s, at least 15 s (so up to 75 min)",
            source: "apple-oss-distributions/mDNSResponder-2600.100.147 mDNSCore/DNSCommon.h (mDNSMaximumUnicastTTLSeconds 3600, RRAdjustTTL), mDNSCore/DNSCommon.c (GetEffectiveTTL: 15 s floor)",
            policy: MACOS,
        },
        Preset {
            name: "ios",
            kind: Os,
            summary: "iOS and iPadOS: the same mDNSResponder as macOS, min(TTL, 1 h) × 1.25 + 2 s, at least 15 s",
            source: "apple-oss-distributions/mDNSResponder (one source tree for macOS and iOS; see macos)",
            policy: MACOS,
        },
        Preset {
            name: "systemd-resolved",
            kind: Os,
            summary: "honours TTL, capped at 2 h; serve-stale off",
            source: "systemd src/resolve/resolved-dns-cache.c",
            policy: honour(0, 2 * HOUR),
        },
        Preset {
            name: "nscd",
            kind: Os,
            summary: "honours the DNS TTL, serves the expired entry until its next prune (within 15 s), and there fetches it again by itself, up to 5 times after its last use (positive-time-to-live 3600 s only when no TTL is given); checked in the lab (docs/lab.md)",
            source: "glibc nscd/connections.c (nscd_run_prune: next prune at least CACHE_PRUNE_INTERVAL, 15 s, away), nscd/cache.c (cache_search answers any entry still marked usable, a hit sets nreloads to 0; prune_cache reloads an expired entry while nreloads < reload_count, else drops it), nscd/nscd.conf (reload-count 5)",
            policy: Policy {
                reload: Some(Reload {
                    within: 15 * SECOND,
                    count: 5,
                }),
                ..Policy::HONOUR
            },
        },
        Preset {
            name: "android",
            kind: Os,
            summary: "honours the smallest TTL of the answer",
            source: "AOSP packages/modules/DnsResolver/res_cache.cpp",
            policy: Policy::HONOUR,
        },
        Preset {
            name: "none",
            kind: Os,
            summary: "no cache: plain glibc, Go, Node.js, Python",
            source: "golang/go#24796; nodejs/help#2983",
            policy: Policy::NONE,
        },
        Preset {
            name: "firefox-legacy",
            kind: App,
            summary: "Firefox 2/3: keeps every answer 60 s whatever its TTL",
            source: "Firefox pref network.dnsCacheExpiration (60 s)",
            policy: fixed(60 * SECOND),
        },
        Preset {
            name: "firefox",
            kind: App,
            summary: "modern Firefox without a TTL from its resolver (the system resolver): 60 s, then up to 60 s more serving the expired entry while refreshing",
            source: "mozilla modules/libpref/init/all.js (network.dnsCacheExpiration, network.dnsCacheExpirationGracePeriod), netwerk/dns/nsHostResolver.cpp",
            policy: Policy {
                serve_stale: Some(ServeStale { max_stale: 60 * SECOND, reply_ttl: 0 }),
                ..fixed(60 * SECOND)
            },
        },
        Preset {
            name: "firefox-ttl",
            kind: App,
            summary: "modern Firefox when its resolver gives a TTL (DNS over HTTPS, or network.dns.get-ttl on Windows): keeps the record's TTL, no grace period",
            source: "mozilla netwerk/dns/nsHostResolver.cpp (PrepareRecordExpirationAddrRecord: lifetime = TTL, grace = 0 when the TTL is known)",
            policy: Policy::HONOUR,
        },
        Preset {
            name: "chrome",
            kind: App,
            summary: "Chrome via the system resolver: keeps answers 60 s",
            source: "chromium net/dns/host_resolver_manager_job.cc, net/dns/host_cache.cc",
            policy: fixed(60 * SECOND),
        },
        Preset {
            name: "chrome-builtin",
            kind: App,
            summary: "Chrome's built-in resolver: honours TTL with a 60 s minimum",
            source: "chromium net/dns/host_cache.cc",
            policy: honour(60 * SECOND, FOREVER),
        },
        Preset {
            name: "ie",
            kind: App,
            summary: "Internet Explorer 5/6/7: keeps every answer 15 min",
            source: "widely reported for IE 5/6/7; Microsoft documents 30 min (see ie-kb263558)",
            policy: fixed(15 * MINUTE),
        },
        Preset {
            name: "ie-kb263558",
            kind: App,
            summary: "Internet Explorer 4 and later as Microsoft documents it: 30 min",
            source: "Microsoft KB 263558 (DnsCacheTimeout)",
            policy: fixed(30 * MINUTE),
        },
        Preset {
            name: "java",
            kind: App,
            summary: "JVM: networkaddress.cache.ttl 30 s, ignores the DNS TTL",
            source: "openjdk src/java.base/share/classes/sun/net/InetAddressCachePolicy.java",
            policy: fixed(30 * SECOND),
        },
        Preset {
            name: "android-java",
            kind: App,
            summary: "Android apps resolving through java.net.InetAddress (OkHttp's default, HttpURLConnection): keeps answers 2 s, then asks the system resolver",
            source: "AOSP libcore luni/src/main/java/libcore/net/AddressCache.java (TTL_NANOS = 2 s: \"the TTL for the Java-level cache is short, just 2s\")",
            policy: fixed(2 * SECOND),
        },
        Preset {
            name: "java-security-manager",
            kind: App,
            summary: "JVM under a security manager: caches forever (networkaddress.cache.ttl -1)",
            source: "Java 8 java.net.InetAddress javadoc",
            policy: fixed(FOREVER),
        },
    ]
};

/// The preset called `name`, if there is one.
pub fn preset(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preset_names_are_unique_and_found() {
        let all = PRESETS;
        for p in all {
            assert_eq!(all.iter().filter(|q| q.name == p.name).count(), 1, "{}", p.name);
            assert!(!p.source.is_empty());
        }
        assert_eq!(preset("isp-pin-24h").unwrap().policy.fixed_ttl, Some(DAY));
        assert!(preset("nope").is_none());
    }
}
