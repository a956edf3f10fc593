//! The texts the engine stores (Results, progress, responses) as resource references,
//! `[SR_NAME]` or `[SR_NAME:arg0|arg1]`, so that each reader sees them in its own language. The
//! server resolves them when it writes a response; storage keeps the reference. Names are a stored
//! format: they are only ever added, never renamed.

pub const TASK_STOPPED: &str = "[SR_SOBATCH_TASK_STOPPED]";
pub const FAIL_DEFAULT: &str = "[SR_SOBATCH_FAIL_DEFAULT]";
/// "The node running the task stopped answering and no restarts are left".
pub const RESTARTS_EXHAUSTED: &str = "[SR_SOBATCH_TASK_RESTARTS_EXHAUSTED]";
/// "only administrators may start system tasks", for the error a surface reports.
pub const SYSTEM_TASK_FORBIDDEN: &str = "[SR_SOBATCH_ERROR_SYSTEM_TASK_FORBIDDEN]";

/// "The executor panicked: {0}".
pub fn task_panicked(message: &str) -> String {
    reference("SR_SOBATCH_TASK_PANICKED", &[message])
}

/// "Timed out after {0} s".
pub fn task_timed_out(seconds: f64) -> String {
    reference("SR_SOBATCH_TASK_TIMED_OUT", &[&seconds.to_string()])
}

/// "Sleeping {0} of {1} s"; numbers are written invariantly (`.` before decimals).
pub fn sleep_progress(elapsed: f64, total: f64) -> String {
    reference(
        "SR_SOBATCH_SLEEP_PROGRESS",
        &[&format!("{elapsed:.1}"), &total.to_string()],
    )
}

/// "Slept {0} s".
pub fn sleep_done(total: f64) -> String {
    reference("SR_SOBATCH_SLEEP_DONE", &[&total.to_string()])
}

/// `[NAME:a|b]`, with a backslash before any backslash, `|` or `]` in an argument.
fn reference(name: &str, args: &[&str]) -> String {
    let mut out = format!("[{name}");
    for (index, arg) in args.iter().enumerate() {
        out.push(if index == 0 { ':' } else { '|' });
        for c in arg.chars() {
            if matches!(c, '\\' | '|' | ']') {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out.push(']');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_escaped() {
        assert_eq!(
            task_panicked("a|b]c\\d"),
            r"[SR_SOBATCH_TASK_PANICKED:a\|b\]c\\d]"
        );
        assert_eq!(
            sleep_progress(0.44, 2.0),
            "[SR_SOBATCH_SLEEP_PROGRESS:0.4|2]"
        );
        assert_eq!(sleep_done(1.5), "[SR_SOBATCH_SLEEP_DONE:1.5]");
    }
}
