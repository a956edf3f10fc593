//! Figures, their medians over runs, the targets they are held to, and the table and JSON that
//! report them.

use serde::Serialize;

/// One number one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// The letter: a to e.
    pub scenario: &'static str,
    pub metric: String,
    /// `floor`, `sqlite`, `postgres`, or a peer.
    pub system: String,
    pub unit: &'static str,
    pub value: f64,
}

impl Figure {
    pub fn new(
        scenario: &'static str,
        metric: &str,
        system: &str,
        unit: &'static str,
        value: f64,
    ) -> Figure {
        Figure {
            scenario,
            metric: metric.to_string(),
            system: system.to_string(),
            unit,
            value,
        }
    }
}

/// The median of a figure over runs, with every run's value.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub scenario: &'static str,
    pub metric: String,
    pub system: String,
    pub unit: &'static str,
    pub median: f64,
    pub runs: Vec<f64>,
}

pub fn summarise(figures: &[Figure]) -> Vec<Summary> {
    let mut summaries: Vec<Summary> = Vec::new();
    for figure in figures {
        match summaries.iter_mut().find(|s| {
            s.scenario == figure.scenario && s.metric == figure.metric && s.system == figure.system
        }) {
            Some(summary) => summary.runs.push(figure.value),
            None => summaries.push(Summary {
                scenario: figure.scenario,
                metric: figure.metric.clone(),
                system: figure.system.clone(),
                unit: figure.unit,
                median: f64::NAN,
                runs: vec![figure.value],
            }),
        }
    }
    for summary in &mut summaries {
        summary.median = median(&summary.runs);
    }
    summaries
}

pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// A target of the performance issue and whether the medians meet it.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub target: String,
    pub measured: String,
    /// `None` when a figure it needs was not measured.
    pub met: Option<bool>,
}

fn find<'a>(summaries: &'a [Summary], metric: &str, system: &str) -> Option<&'a Summary> {
    summaries
        .iter()
        .find(|s| s.metric == metric && s.system == system)
}

pub fn verdicts(summaries: &[Summary]) -> Vec<Verdict> {
    let value = |metric: &str, system: &str| find(summaries, metric, system).map(|s| s.median);
    let mut verdicts = Vec::new();
    let mut at_most = |target: &str, metric: &str, system: &str, limit: f64| {
        let measured = value(metric, system);
        verdicts.push(Verdict {
            target: format!("{target} ({system})"),
            measured: measured.map_or("not measured".into(), |v| format!("{v:.2}")),
            met: measured.map(|v| v < limit),
        });
    };
    at_most("(a) POST p99 < 10 ms", "POST p99", "sqlite", 10.0);
    at_most(
        "(c) enqueue-to-start p50 < 2 ms",
        "enqueue-to-start p50",
        "sqlite",
        2.0,
    );
    at_most(
        "(c) enqueue-to-start p50 < 5 ms",
        "enqueue-to-start p50",
        "postgres",
        5.0,
    );
    for system in ["sqlite", "postgres"] {
        at_most(
            "(c) enqueue-to-start p99 < 20 ms",
            "enqueue-to-start p99",
            system,
            20.0,
        );
    }
    for system in ["sqlite", "postgres"] {
        at_most(
            "(d) GET /api/v1/BatchTask/New p99 < 10 ms",
            "GET /api/v1/BatchTask/New p99",
            system,
            10.0,
        );
        at_most(
            "(d) OData page p99 < 10 ms",
            "OData page of 100 by state p99",
            system,
            10.0,
        );
    }
    at_most("(e) idle RSS < 30 MB", "idle RSS", "sqlite", 30.0);
    at_most(
        "(e) start-up < 200 ms",
        "start-up to first answer",
        "sqlite",
        200.0,
    );

    let mut at_least = |target: &str, measured: Option<f64>, limit: f64, shown: String| {
        verdicts.push(Verdict {
            target: target.to_string(),
            measured: measured.map_or("not measured".into(), |_| shown),
            met: measured.map(|v| v >= limit),
        });
    };
    let ratio = match (
        value("POST /api/v1/BatchTask", "sqlite"),
        value("POST /api/v1/BatchTask", "floor"),
    ) {
        (Some(ours), Some(floor)) if floor > 0.0 => Some(ours / floor),
        _ => None,
    };
    at_least(
        "(a) POST throughput ≥ 60 % of the floor (sqlite)",
        ratio,
        0.6,
        format!("{:.0} %", ratio.unwrap_or(0.0) * 100.0),
    );
    for system in ["sqlite", "postgres"] {
        let measured = value("worker side, stored tasks", system);
        at_least(
            &format!("(b) worker side ≥ 20,000 tasks/s ({system})"),
            measured,
            20_000.0,
            format!("{:.0}", measured.unwrap_or(0.0)),
        );
    }
    let e2e = value("end to end over HTTP", "sqlite");
    at_least(
        "(b) end to end over HTTP ≥ 15,000 tasks/s (sqlite)",
        e2e,
        15_000.0,
        format!("{:.0}", e2e.unwrap_or(0.0)),
    );
    let peer = value("worker side, stored tasks", "graphile-worker default");
    let ours = value("worker side, stored tasks", "postgres");
    let ahead = match (ours, peer) {
        (Some(ours), Some(peer)) if peer > 0.0 => Some(ours / peer),
        _ => None,
    };
    at_least(
        "(b) worker side ≥ 5× graphile-worker's default (postgres)",
        ahead,
        5.0,
        format!("{:.1}×", ahead.unwrap_or(0.0)),
    );
    verdicts
}

/// The table printed at the end of a run.
pub fn table(summaries: &[Summary], verdicts: &[Verdict]) -> String {
    let systems: Vec<&str> = {
        let mut seen: Vec<&str> = Vec::new();
        for s in summaries {
            if !seen.contains(&s.system.as_str()) {
                seen.push(&s.system);
            }
        }
        seen
    };
    let mut metrics: Vec<(&str, &str, &str)> = Vec::new();
    for s in summaries {
        let key = (s.scenario, s.metric.as_str(), s.unit);
        if !metrics.contains(&key) {
            metrics.push(key);
        }
    }
    let floor_post = find(summaries, "POST /api/v1/BatchTask", "floor").map(|s| s.median);
    let mut rows: Vec<Vec<String>> = vec![{
        let mut header = vec!["".to_string(), "metric".to_string(), "unit".to_string()];
        header.extend(systems.iter().map(|s| s.to_string()));
        header
    }];
    for (scenario, metric, unit) in &metrics {
        let mut row = vec![
            format!("({scenario})"),
            metric.to_string(),
            unit.to_string(),
        ];
        for system in &systems {
            let cell = match find(summaries, metric, system) {
                Some(s) => {
                    let mut cell = format_value(s.median);
                    if *metric == "POST /api/v1/BatchTask"
                        && *system != "floor"
                        && let Some(floor) = floor_post.filter(|f| *f > 0.0)
                    {
                        cell.push_str(&format!(" ({:.0} %)", s.median / floor * 100.0));
                    }
                    cell
                }
                None => "–".to_string(),
            };
            row.push(cell);
        }
        rows.push(row);
    }
    let mut out = aligned(&rows);
    out.push('\n');
    let verdict_rows: Vec<Vec<String>> = std::iter::once(vec![
        "target".to_string(),
        "measured".to_string(),
        "met".to_string(),
    ])
    .chain(verdicts.iter().map(|v| {
        vec![
            v.target.clone(),
            v.measured.clone(),
            match v.met {
                Some(true) => "yes",
                Some(false) => "NO",
                None => "–",
            }
            .to_string(),
        ]
    }))
    .collect();
    out.push_str(&aligned(&verdict_rows));
    out
}

fn format_value(value: f64) -> String {
    if value >= 100.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

fn aligned(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, cell)| format!("{cell:<width$}", width = widths[c]))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_of_odd_and_even_runs() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }

    #[test]
    fn runs_of_one_figure_are_grouped_and_a_ratio_to_the_floor_is_shown() {
        let figures = vec![
            Figure::new("a", "POST /api/v1/BatchTask", "floor", "req/s", 100.0),
            Figure::new("a", "POST /api/v1/BatchTask", "sqlite", "req/s", 70.0),
            Figure::new("a", "POST /api/v1/BatchTask", "sqlite", "req/s", 50.0),
            Figure::new("a", "POST /api/v1/BatchTask", "sqlite", "req/s", 60.0),
        ];
        let summaries = summarise(&figures);
        assert_eq!(summaries.len(), 2);
        assert_eq!(summaries[1].median, 60.0);
        assert_eq!(summaries[1].runs, vec![70.0, 50.0, 60.0]);
        let verdicts = verdicts(&summaries);
        let post = verdicts.iter().find(|v| v.target.contains("60 %")).unwrap();
        assert_eq!(post.met, Some(true));
        assert!(table(&summaries, &verdicts).contains("60.00 (60 %)"));
    }
}
