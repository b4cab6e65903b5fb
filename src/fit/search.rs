//! The search over the free keys' box, in unit coordinates: a coarse grid,
//! then a compass (pattern) search that halves its step until it is finer
//! than the box's thousandth; and profiles, each key held at a row of
//! values while the others are searched again. The objective is smooth
//! because every candidate is simulated with the same seeds.

/// A coarse grid then a compass search from its best point (or from
/// `start` with the first step `step`); returns the best point and value.
pub fn minimize(
    f: &mut dyn FnMut(&[f64]) -> f64,
    dims: usize,
    start: Option<(&[f64], f64)>,
) -> (Vec<f64>, f64) {
    if dims == 0 {
        return (Vec::new(), f(&[]));
    }
    let (mut best, mut value, mut step) = match start {
        Some((point, step)) => (point.to_vec(), f(point), step),
        None => {
            let per_axis: usize = match dims {
                1 => 9,
                2 => 5,
                _ => 3,
            };
            let mut best = (vec![0.5; dims], f64::INFINITY);
            for i in 0..per_axis.pow(dims as u32) {
                let point: Vec<f64> = (0..dims)
                    .map(|d| ((i / per_axis.pow(d as u32)) % per_axis) as f64 / (per_axis - 1) as f64)
                    .collect();
                let v = f(&point);
                if v < best.1 {
                    best = (point, v);
                }
            }
            (best.0, best.1, 0.5 / (per_axis - 1) as f64)
        }
    };
    while step > 1e-3 {
        let mut moved = false;
        for d in 0..dims {
            for sign in [-1.0, 1.0] {
                let mut point = best.clone();
                point[d] = (point[d] + sign * step).clamp(0.0, 1.0);
                if point[d] == best[d] {
                    continue;
                }
                let v = f(&point);
                if v < value {
                    (best, value, moved) = (point, v, true);
                }
            }
        }
        if !moved {
            step /= 2.0;
        }
    }
    (best, value)
}

/// The profile of key `key`: at each `u` in `grid`, the best value with the
/// key held there and the others searched again (from the neighbour's best).
/// Returns (u, value, the other keys' best point).
pub fn profile(
    f: &mut dyn FnMut(&[f64]) -> f64,
    dims: usize,
    key: usize,
    best: &[f64],
    grid: &[f64],
) -> Vec<(f64, f64, Vec<f64>)> {
    let others: Vec<f64> = best
        .iter()
        .enumerate()
        .filter(|(d, _)| *d != key)
        .map(|(_, v)| *v)
        .collect();
    let mut warm = others;
    let mut out = Vec::new();
    for &u in grid {
        let mut held = |rest: &[f64]| {
            let mut point = rest.to_vec();
            point.insert(key, u);
            f(&point)
        };
        let (rest, value) = minimize(&mut held, dims - 1, Some((&warm, 0.125)));
        let mut point = rest.clone();
        point.insert(key, u);
        out.push((u, value, point));
        warm = rest;
    }
    out
}

/// Where a profile crosses `level` between the best point `at` and the end
/// of the box on each side (linear between grid points); `None` on a side
/// where it never does (the data do not bound the key there).
pub fn crossings(points: &[(f64, f64, Vec<f64>)], at: f64, level: f64) -> (Option<f64>, Option<f64>) {
    let mut sorted: Vec<(f64, f64)> = points.iter().map(|(u, v, _)| (*u, *v)).collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let cross = |a: (f64, f64), b: (f64, f64)| a.0 + (level - a.1) / (b.1 - a.1) * (b.0 - a.0);
    let below: Vec<(f64, f64)> = sorted.iter().copied().filter(|p| p.0 <= at).rev().collect();
    let above: Vec<(f64, f64)> = sorted.iter().copied().filter(|p| p.0 >= at).collect();
    let side = |side: &[(f64, f64)]| {
        side.windows(2)
            .find(|w| w[0].1 <= level && w[1].1 > level)
            .map(|w| cross(w[0], w[1]))
    };
    (side(&below), side(&above))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_minimum_of_a_bowl_and_its_profile_interval() {
        // (x − 0.3)² / 0.01 + (y − 0.7)² / 0.04: x's 2-unit interval is 0.3 ± 0.141.
        let mut calls = 0;
        let mut f = |p: &[f64]| {
            calls += 1;
            (p[0] - 0.3).powi(2) / 0.01 + (p[1] - 0.7).powi(2) / 0.04
        };
        let (best, value) = minimize(&mut f, 2, None);
        assert!(
            (best[0] - 0.3).abs() < 2e-3 && (best[1] - 0.7).abs() < 2e-3,
            "{best:?}"
        );
        assert!(value < 1e-3);
        let grid: Vec<f64> = (0..=40).map(|i| i as f64 / 40.0).collect();
        let points = profile(&mut f, 2, 0, &best, &grid);
        let (lo, hi) = crossings(&points, best[0], value + 2.0);
        let half = (2.0f64 * 0.01).sqrt();
        assert!((lo.unwrap() - (0.3 - half)).abs() < 5e-3, "{lo:?}");
        assert!((hi.unwrap() - (0.3 + half)).abs() < 5e-3, "{hi:?}");
        assert!(calls < 2500, "{calls} evaluations");
    }

    #[test]
    fn a_flat_profile_crosses_nowhere() {
        let points: Vec<(f64, f64, Vec<f64>)> = (0..=10).map(|i| (i as f64 / 10.0, 1.0, vec![])).collect();
        assert_eq!(crossings(&points, 0.5, 3.0), (None, None));
    }
}
