//! `glue-rules event`: the typed event the host passes to plugins, one JSON line per event.
//!
//! A rule's native unit tests need the very event `evaluate` will get. Rust tests get it from
//! the SDK (`testing::event_from_json` compiles the host's parser); tests in the other
//! languages run this command over their fixtures and turn its `--typed` lines into their
//! binding values. The typed view is written as "WIT-value JSON", the same shape in every
//! language:
//!
//! - a record is an object with the WIT's kebab-case field names, in the WIT's order;
//! - `option<T>` is `null` or the value; `list<T>` an array; `string` a string;
//! - `u32`, `u64` and `f64` are JSON numbers (an `f64` that JSON cannot hold, which only a
//!   detail text such as `"NaN"` can produce, is the string `"NaN"`, `"Infinity"` or
//!   `"-Infinity"`, JavaScript's spellings);
//! - every variant case is `{"tag": "<case>"}`, or `{"tag": "<case>", "val": <payload>}` when
//!   it carries one (`{"tag": "other", "val": "PAUSED"}`).
//!
//! The writer below matches every record and variant exhaustively, so a change to the WIT
//! breaks the build here instead of silently changing the output.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use glue_rules::runtime::bindings::types as wit;
use glue_rules::runtime::event::{Event, MAX_EVENT_BYTES};

use super::exit;

#[derive(Debug, Args)]
pub(crate) struct EventArgs {
    /// Event files (one event, a JSON array, or NDJSON) or directories of them; `-` reads stdin.
    #[arg(value_name = "EVENTS|-", required = true)]
    events: Vec<PathBuf>,
    /// Print only the typed view of each event, as WIT-value JSON (what the SDKs' test helpers
    /// read). Without it, each line also says where the event came from and, when its detail
    /// fell back to `other`, why: `{"file", "line", "event", "detail-problem"}`.
    #[arg(long)]
    typed: bool,
}

/// Reads every input, prints one line per good event and reports each bad one on stderr with
/// its file and line: exit 0 when every event was read, 2 otherwise.
pub(crate) fn run(args: EventArgs) -> anyhow::Result<u8> {
    let inputs = super::expand_inputs(&args.events)?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let refused = super::for_each_event(&inputs, MAX_EVENT_BYTES, |label, position, event| {
        let line = if args.typed {
            typed_event(event.wit())
        } else {
            described(label, position.line, &event)
        };
        out.write_all(line.as_bytes())?;
        out.write_all(b"\n")?;
        Ok(())
    })?;
    out.flush().context("cannot write events")?;
    Ok(if refused > 0 {
        exit::BAD_INPUT
    } else {
        exit::OK
    })
}

/// The line printed without `--typed`: where the event came from, its typed view, and why its
/// detail is `other` when the typed view could not be built.
fn described(file: &str, line: usize, event: &Event) -> String {
    let mut out = String::new();
    let mut o = Object::new(&mut out);
    string(o.field("file"), file);
    o.field("line").push_str(&line.to_string());
    write_event(o.field("event"), event.wit());
    let problem = event.detail_problem().map(ToString::to_string);
    option(o.field("detail-problem"), problem.as_deref(), string);
    o.end();
    out
}

/// One event's typed view as WIT-value JSON (see the module documentation).
pub(crate) fn typed_event(event: &wit::Event) -> String {
    let mut out = String::new();
    write_event(&mut out, event);
    out
}

/// Writes the members of one JSON object in order: `field` writes the separator and the key
/// and hands back the text to write the value into.
struct Object<'a> {
    out: &'a mut String,
    empty: bool,
}

impl<'a> Object<'a> {
    fn new(out: &'a mut String) -> Self {
        out.push('{');
        Self { out, empty: true }
    }

    fn field(&mut self, name: &str) -> &mut String {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        string(self.out, name);
        self.out.push(':');
        self.out
    }

    fn end(self) {
        self.out.push('}');
    }
}

fn string(out: &mut String, text: &str) {
    // Escaping a string cannot fail.
    out.push_str(&serde_json::Value::from(text).to_string());
}

fn strings(out: &mut String, items: &[String]) {
    out.push('[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        string(out, item);
    }
    out.push(']');
}

fn option<T: ?Sized>(out: &mut String, value: Option<&T>, write: fn(&mut String, &T)) {
    match value {
        Some(value) => write(out, value),
        None => out.push_str("null"),
    }
}

fn unsigned(out: &mut String, n: &u64) {
    out.push_str(&n.to_string());
}

fn unsigned32(out: &mut String, n: &u32) {
    out.push_str(&n.to_string());
}

fn float(out: &mut String, x: &f64) {
    match serde_json::Number::from_f64(*x) {
        Some(n) => out.push_str(&n.to_string()),
        None if x.is_nan() => string(out, "NaN"),
        None if *x > 0.0 => string(out, "Infinity"),
        None => string(out, "-Infinity"),
    }
}

/// A variant case: `{"tag":…}`, with `"val"` written by `val` when the case has a payload.
fn case(out: &mut String, tag: &str, val: Option<&dyn Fn(&mut String)>) {
    let mut o = Object::new(out);
    string(o.field("tag"), tag);
    if let Some(val) = val {
        val(o.field("val"));
    }
    o.end();
}

fn other(out: &mut String, text: &str) {
    case(out, "other", Some(&|out: &mut String| string(out, text)));
}

fn write_event(out: &mut String, event: &wit::Event) {
    let wit::Event {
        version,
        id,
        detail_type,
        source,
        account,
        time,
        region,
        resources,
        detail,
    } = event;
    let mut o = Object::new(out);
    string(o.field("version"), version);
    string(o.field("id"), id);
    string(o.field("detail-type"), detail_type);
    string(o.field("source"), source);
    string(o.field("account"), account);
    string(o.field("time"), time);
    string(o.field("region"), region);
    strings(o.field("resources"), resources);
    write_detail(o.field("detail"), detail);
    o.end();
}

fn write_detail(out: &mut String, detail: &wit::Detail) {
    use wit::Detail as D;
    match detail {
        D::JobStateChange(v) => case(out, "job-state-change", Some(&|o| job_state_change(o, v))),
        D::JobRunStatus(v) => case(out, "job-run-status", Some(&|o| job_run_status(o, v))),
        D::CrawlerStateChange(v) => case(
            out,
            "crawler-state-change",
            Some(&|o| crawler_state_change(o, v)),
        ),
        D::DatabaseStateChange(v) => case(
            out,
            "database-state-change",
            Some(&|o| database_state_change(o, v)),
        ),
        D::TableStateChange(v) => case(
            out,
            "table-state-change",
            Some(&|o| table_state_change(o, v)),
        ),
        D::DataQualityResult(v) => case(
            out,
            "data-quality-result",
            Some(&|o| data_quality_result(o, v)),
        ),
        D::Other => case(out, "other", None),
    }
}

fn job_state(out: &mut String, state: &wit::JobState) {
    use wit::JobState as S;
    let tag = match state {
        S::Starting => "starting",
        S::Running => "running",
        S::Stopping => "stopping",
        S::Stopped => "stopped",
        S::Succeeded => "succeeded",
        S::Failed => "failed",
        S::Timeout => "timeout",
        S::Error => "error",
        S::Waiting => "waiting",
        S::Expired => "expired",
        S::Other(text) => return other(out, text),
    };
    case(out, tag, None);
}

fn severity(out: &mut String, severity: &wit::Severity) {
    use wit::Severity as S;
    let tag = match severity {
        S::Info => "info",
        S::Warn => "warn",
        S::Error => "error",
        S::Other(text) => return other(out, text),
    };
    case(out, tag, None);
}

fn crawler_state(out: &mut String, state: &wit::CrawlerState) {
    use wit::CrawlerState as S;
    let tag = match state {
        S::Started => "started",
        S::Succeeded => "succeeded",
        S::Failed => "failed",
        S::Other(text) => return other(out, text),
    };
    case(out, tag, None);
}

fn type_of_change(out: &mut String, change: &wit::TypeOfChange) {
    use wit::TypeOfChange as C;
    let tag = match change {
        C::CreateDatabase => "create-database",
        C::UpdateDatabase => "update-database",
        C::DeleteDatabase => "delete-database",
        C::CreateTable => "create-table",
        C::UpdateTable => "update-table",
        C::DeleteTable => "delete-table",
        C::BatchDeleteTable => "batch-delete-table",
        C::CreatePartition => "create-partition",
        C::BatchCreatePartition => "batch-create-partition",
        C::UpdatePartition => "update-partition",
        C::BatchUpdatePartition => "batch-update-partition",
        C::DeletePartition => "delete-partition",
        C::BatchDeletePartition => "batch-delete-partition",
        C::Other(text) => return other(out, text),
    };
    case(out, tag, None);
}

fn data_quality_state(out: &mut String, state: &wit::DataQualityState) {
    use wit::DataQualityState as S;
    let tag = match state {
        S::Succeeded => "succeeded",
        S::Failed => "failed",
        S::Other(text) => return other(out, text),
    };
    case(out, tag, None);
}

fn job_state_change(out: &mut String, v: &wit::JobStateChange) {
    let wit::JobStateChange {
        job_name,
        job_run_id,
        state,
        severity: sev,
        message,
    } = v;
    let mut o = Object::new(out);
    string(o.field("job-name"), job_name);
    string(o.field("job-run-id"), job_run_id);
    job_state(o.field("state"), state);
    option(o.field("severity"), sev.as_ref(), severity);
    option(o.field("message"), message.as_deref(), string);
    o.end();
}

fn job_run_status(out: &mut String, v: &wit::JobRunStatus) {
    let wit::JobRunStatus {
        job_name,
        job_run_id,
        state,
        severity: sev,
        message,
        notify_delay_after,
        started_on,
    } = v;
    let mut o = Object::new(out);
    string(o.field("job-name"), job_name);
    string(o.field("job-run-id"), job_run_id);
    job_state(o.field("state"), state);
    option(o.field("severity"), sev.as_ref(), severity);
    option(o.field("message"), message.as_deref(), string);
    option(
        o.field("notify-delay-after"),
        notify_delay_after.as_ref(),
        float,
    );
    option(o.field("started-on"), started_on.as_deref(), string);
    o.end();
}

fn crawler_state_change(out: &mut String, v: &wit::CrawlerStateChange) {
    let wit::CrawlerStateChange {
        crawler_name,
        state,
        message,
        account_id,
        start_time,
        completion_date,
        error_message,
        warning_message,
        cloud_watch_log_link,
        tables_created,
        tables_updated,
        tables_deleted,
        partitions_created,
        partitions_updated,
        partitions_deleted,
        running_time_sec,
    } = v;
    let mut o = Object::new(out);
    string(o.field("crawler-name"), crawler_name);
    crawler_state(o.field("state"), state);
    for (name, text) in [
        ("message", message),
        ("account-id", account_id),
        ("start-time", start_time),
        ("completion-date", completion_date),
        ("error-message", error_message),
        ("warning-message", warning_message),
        ("cloud-watch-log-link", cloud_watch_log_link),
    ] {
        option(o.field(name), text.as_deref(), string);
    }
    for (name, count) in [
        ("tables-created", tables_created),
        ("tables-updated", tables_updated),
        ("tables-deleted", tables_deleted),
        ("partitions-created", partitions_created),
        ("partitions-updated", partitions_updated),
        ("partitions-deleted", partitions_deleted),
    ] {
        option(o.field(name), count.as_ref(), unsigned);
    }
    option(
        o.field("running-time-sec"),
        running_time_sec.as_ref(),
        float,
    );
    o.end();
}

fn database_state_change(out: &mut String, v: &wit::DatabaseStateChange) {
    let wit::DatabaseStateChange {
        database_name,
        type_of_change: change,
        changed_tables,
    } = v;
    let mut o = Object::new(out);
    string(o.field("database-name"), database_name);
    type_of_change(o.field("type-of-change"), change);
    strings(o.field("changed-tables"), changed_tables);
    o.end();
}

fn table_state_change(out: &mut String, v: &wit::TableStateChange) {
    let wit::TableStateChange {
        database_name,
        table_name,
        type_of_change: change,
        changed_partitions,
    } = v;
    let mut o = Object::new(out);
    string(o.field("database-name"), database_name);
    string(o.field("table-name"), table_name);
    type_of_change(o.field("type-of-change"), change);
    strings(o.field("changed-partitions"), changed_partitions);
    o.end();
}

fn data_quality_result(out: &mut String, v: &wit::DataQualityResult) {
    let wit::DataQualityResult {
        result_id,
        ruleset_names,
        state,
        score,
        rules_succeeded,
        rules_failed,
        rules_skipped,
        context,
    } = v;
    let mut o = Object::new(out);
    string(o.field("result-id"), result_id);
    strings(o.field("ruleset-names"), ruleset_names);
    data_quality_state(o.field("state"), state);
    option(o.field("score"), score.as_ref(), float);
    option(
        o.field("rules-succeeded"),
        rules_succeeded.as_ref(),
        unsigned32,
    );
    option(o.field("rules-failed"), rules_failed.as_ref(), unsigned32);
    option(o.field("rules-skipped"), rules_skipped.as_ref(), unsigned32);
    option(o.field("context"), context.as_ref(), data_quality_context);
    o.end();
}

fn data_quality_context(out: &mut String, v: &wit::DataQualityContext) {
    let wit::DataQualityContext {
        context_type,
        run_id,
        database_name,
        table_name,
        catalog_id,
        job_name,
        job_id,
    } = v;
    let mut o = Object::new(out);
    string(o.field("context-type"), context_type);
    for (name, text) in [
        ("run-id", run_id),
        ("database-name", database_name),
        ("table-name", table_name),
        ("catalog-id", catalog_id),
        ("job-name", job_name),
        ("job-id", job_id),
    ] {
        option(o.field(name), text.as_deref(), string);
    }
    o.end();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(text: &str) -> serde_json::Value {
        let event = Event::parse(text.as_bytes(), MAX_EVENT_BYTES).expect("an event");
        serde_json::from_str(&typed_event(event.wit())).expect("the line is JSON")
    }

    #[test]
    fn variants_are_tagged_and_records_keep_the_wits_names_and_order() {
        let event = Event::parse(
            br#"{"id":"e","detail-type":"Glue Job State Change","source":"aws.glue",
                "detail":{"jobName":"j","jobRunId":"r","state":"PAUSED","severity":"ERROR"}}"#,
            MAX_EVENT_BYTES,
        )
        .unwrap();
        let line = typed_event(event.wit());
        assert_eq!(
            line,
            r#"{"version":"0","id":"e","detail-type":"Glue Job State Change","source":"aws.glue","account":"","time":"","region":"","resources":[],"detail":{"tag":"job-state-change","val":{"job-name":"j","job-run-id":"r","state":{"tag":"other","val":"PAUSED"},"severity":{"tag":"error"},"message":null}}}"#
        );
    }

    #[test]
    fn numbers_json_cannot_hold_are_javascripts_spellings() {
        let value = typed(
            r#"{"id":"e","detail-type":"Glue Crawler State Change","source":"aws.glue",
                "detail":{"crawlerName":"c","state":"Started","runningTime (sec)":"-inf",
                "tablesCreated":"18446744073709551615"}}"#,
        );
        let crawler = &value["detail"]["val"];
        assert_eq!(crawler["running-time-sec"], "-Infinity");
        assert_eq!(crawler["tables-created"], u64::MAX);
        assert_eq!(crawler["state"], serde_json::json!({"tag": "started"}));
        let dq = typed(
            r#"{"id":"e","detail-type":"Data Quality Evaluation Results Available",
                "source":"aws.glue-dataquality","detail":{"resultId":"dq","state":"FAILED",
                "score":0.5,"rulesFailed":"2","context":{"contextType":"GLUE_DATA_CATALOG"}}}"#,
        );
        let result = &dq["detail"]["val"];
        assert_eq!(result["score"], 0.5);
        assert_eq!(result["rules-failed"], 2);
        assert_eq!(result["context"]["context-type"], "GLUE_DATA_CATALOG");
        assert_eq!(result["context"]["run-id"], serde_json::Value::Null);
    }
}
