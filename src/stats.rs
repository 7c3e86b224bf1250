//! The statistics of repeated trials and of agreement, as plain functions of counts.
//!
//! - [`wilson`]: the 95% Wilson score interval of a proportion (sound at 0, 1 and small n,
//!   unlike the normal approximation).
//! - [`pass_at_k`] and [`pass_hat_k`]: the unbiased estimators of "at least one of k trials
//!   passes" and "all k trials pass" from n trials with c passes.
//! - [`newcombe`]: the interval of a difference of two proportions from their Wilson
//!   intervals (Newcombe's hybrid score method), for the skill's uplift.
//! - [`precision_recall`] and [`cohen_kappa`].

/// z for a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// The 95% Wilson score interval of `successes` out of `n`; `None` when `n` is 0.
pub fn wilson(successes: usize, n: usize) -> Option<(f64, f64)> {
    if n == 0 {
        return None;
    }
    let (n, p, z) = (n as f64, successes as f64 / n as f64, Z95);
    let z2 = z * z;
    let center = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = z / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    Some(((center - half).max(0.0), (center + half).min(1.0)))
}

/// C(n, k) as a float (exact for the small n of trials).
fn choose(n: usize, k: usize) -> f64 {
    if k > n {
        return 0.0;
    }
    (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64)
}

/// The probability that at least one of `k` trials drawn from `n` (with `c` passes) passes:
/// `1 - C(n-c, k) / C(n, k)`. `None` when `k` is 0 or more than `n`.
pub fn pass_at_k(n: usize, c: usize, k: usize) -> Option<f64> {
    if k == 0 || k > n || c > n {
        return None;
    }
    Some(1.0 - choose(n - c, k) / choose(n, k))
}

/// The probability that all of `k` trials drawn from `n` (with `c` passes) pass:
/// `C(c, k) / C(n, k)`. `None` when `k` is 0 or more than `n`.
pub fn pass_hat_k(n: usize, c: usize, k: usize) -> Option<f64> {
    if k == 0 || k > n || c > n {
        return None;
    }
    Some(choose(c, k) / choose(n, k))
}

/// The difference `p1 - p2` of two proportions and its 95% interval (Newcombe 1998, method
/// 10, from the two Wilson intervals). `None` when either sample is empty.
pub fn newcombe(c1: usize, n1: usize, c2: usize, n2: usize) -> Option<(f64, f64, f64)> {
    let (l1, u1) = wilson(c1, n1)?;
    let (l2, u2) = wilson(c2, n2)?;
    let (p1, p2) = (c1 as f64 / n1 as f64, c2 as f64 / n2 as f64);
    let d = p1 - p2;
    let lo = d - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt();
    let hi = d + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt();
    Some((d, lo.max(-1.0), hi.min(1.0)))
}

/// Precision and recall of a binary prediction, each `None` when undefined (nothing
/// predicted, nothing to find).
pub fn precision_recall(
    true_pos: usize,
    false_pos: usize,
    false_neg: usize,
) -> (Option<f64>, Option<f64>) {
    let ratio = |a: usize, b: usize| (a + b > 0).then(|| a as f64 / (a + b) as f64);
    (ratio(true_pos, false_pos), ratio(true_pos, false_neg))
}

/// Agreement and Cohen's kappa of two raters over the same items, each a pair of labels.
/// Kappa is `None` when chance agreement is total (both raters always give one same label).
pub fn cohen_kappa<T: PartialEq + Clone>(pairs: &[(T, T)]) -> Option<(f64, Option<f64>)> {
    if pairs.is_empty() {
        return None;
    }
    let n = pairs.len() as f64;
    let observed = pairs.iter().filter(|(a, b)| a == b).count() as f64 / n;
    let mut labels: Vec<T> = Vec::new();
    for (a, b) in pairs {
        for l in [a, b] {
            if !labels.contains(l) {
                labels.push(l.clone());
            }
        }
    }
    let expected: f64 = labels
        .iter()
        .map(|l| {
            let first = pairs.iter().filter(|(a, _)| a == l).count() as f64 / n;
            let second = pairs.iter().filter(|(_, b)| b == l).count() as f64 / n;
            first * second
        })
        .sum();
    let kappa = ((1.0 - expected).abs() > 1e-12).then(|| (observed - expected) / (1.0 - expected));
    Some((observed, kappa))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-4
    }

    #[test]
    fn wilson_matches_hand_computed_values() {
        // 8 of 10: center (0.8 + 0.19207) / 1.38415 = 0.71673, half 1.41600 · 0.16001 = 0.22658.
        let (lo, hi) = wilson(8, 10).unwrap();
        assert!(close(lo, 0.49016) && close(hi, 0.94332), "{lo} {hi}");
        // 0 of 5: [0, z²/(n+z²)] = [0, 3.84146/8.84146].
        let (lo, hi) = wilson(0, 5).unwrap();
        assert!(close(lo, 0.0) && close(hi, 0.43448), "{lo} {hi}");
        assert_eq!(wilson(0, 0), None);
    }

    #[test]
    fn pass_at_k_and_pass_hat_k() {
        // 5 trials, 2 passes: pass@1 = 0.4, pass@2 = 1 - C(3,2)/C(5,2) = 0.7, pass@5 = 1.
        assert!(close(pass_at_k(5, 2, 1).unwrap(), 0.4));
        assert!(close(pass_at_k(5, 2, 2).unwrap(), 0.7));
        assert!(close(pass_at_k(5, 2, 5).unwrap(), 1.0));
        // pass^2 = C(2,2)/C(5,2) = 0.1; pass^3 = 0; all 3 of 3 pass: 1.
        assert!(close(pass_hat_k(5, 2, 2).unwrap(), 0.1));
        assert!(close(pass_hat_k(5, 2, 3).unwrap(), 0.0));
        assert!(close(pass_hat_k(3, 3, 3).unwrap(), 1.0));
        assert_eq!(pass_at_k(2, 1, 3), None);
    }

    #[test]
    fn newcombe_difference_interval() {
        // 8/10 − 3/10 = 0.5; Wilson(3,10) = [0.10779, 0.60322].
        let (d, lo, hi) = newcombe(8, 10, 3, 10).unwrap();
        assert!(close(d, 0.5));
        let lo_hand = 0.5 - ((0.8f64 - 0.49016).powi(2) + (0.60322f64 - 0.3).powi(2)).sqrt();
        let hi_hand = 0.5 + ((0.94332f64 - 0.8).powi(2) + (0.3f64 - 0.10779).powi(2)).sqrt();
        assert!(close(lo, lo_hand) && close(hi, hi_hand), "{lo} {hi}");
    }

    #[test]
    fn kappa_and_precision_recall() {
        // 10 items: both pass 4, both fail 3, human pass / grader fail 2, the reverse 1.
        // po = 0.7; pe = 0.6·0.5 + 0.4·0.5 = 0.5; kappa = 0.4.
        let mut pairs = Vec::new();
        pairs.extend(std::iter::repeat_n(("pass", "pass"), 4));
        pairs.extend(std::iter::repeat_n(("fail", "fail"), 3));
        pairs.extend(std::iter::repeat_n(("pass", "fail"), 2));
        pairs.push(("fail", "pass"));
        let (po, kappa) = cohen_kappa(&pairs).unwrap();
        assert!(close(po, 0.7) && close(kappa.unwrap(), 0.4));
        assert_eq!(cohen_kappa(&[("pass", "pass")]).unwrap().1, None);
        assert_eq!(
            precision_recall(2, 1, 1),
            (Some(2.0 / 3.0), Some(2.0 / 3.0))
        );
        assert_eq!(precision_recall(0, 0, 3), (None, Some(0.0)));
    }
}
