//! `timeseries.csv` (one row per bucket, the columns the README lists) and, with several
//! addresses, the long-format `addresses.csv`.

use super::Report;
use crate::engine::cause::code_names;
use crate::engine::Layer;
use crate::plan::mechanisms;

pub fn timeseries_csv(report: &Report) -> Vec<u8> {
    let (r, s) = (report.results, report.scenario);
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = [
        "time_s",
        "requests",
        "old_share",
        "old_share_lo",
        "old_share_hi",
        "clients_old_share",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    header.extend(Layer::ALL.iter().map(|l| format!("old_via_{}", l.name())));
    let codes = code_names(&r.causes);
    header.extend(codes.iter().map(|(_, c)| format!("old_cause_{c}")));
    // A weighted shift: the share of answers the authoritative gave the new
    // addresses, beside the share of requests that reached them.
    let weighted = !s.record.weights.is_empty();
    if weighted {
        header.push("weight_new".to_string());
    }
    w.write_record(&header).expect("writing to memory");
    for (b, causes) in r.old_cause().iter().enumerate() {
        let e = r.old_share[b];
        let mut row = vec![
            r.time_s[b].to_string(),
            r.requests[b].to_string(),
            e.mean.to_string(),
            e.lo.max(0.0).to_string(),
            e.hi.min(1.0).to_string(),
            r.clients_old_share[b].to_string(),
        ];
        row.extend(r.old_via[b].values().map(|v| v.to_string()));
        row.extend(codes.iter().map(|&(code, _)| causes[code].to_string()));
        if weighted {
            let from = b as i64 * r.bucket;
            let to = (from + r.bucket).min(s.duration);
            row.push(mechanisms::mean_weight(s, from, to).to_string());
        }
        w.write_record(&row).expect("writing to memory");
    }
    w.into_inner().expect("writing to memory")
}

pub fn addresses_csv(report: &Report) -> Vec<u8> {
    let r = report.results;
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["time_s", "address", "share"])
        .expect("writing to memory");
    for b in 0..r.time_s.len() {
        for (a, address) in r.addresses.iter().enumerate() {
            w.write_record([
                r.time_s[b].to_string(),
                address.clone(),
                r.address_share[b][a].to_string(),
            ])
            .expect("writing to memory");
        }
    }
    w.into_inner().expect("writing to memory")
}
