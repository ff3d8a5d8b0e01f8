// sns-on-failure, in C: publishes to an SNS topic when a Glue job run fails.
//
// The same rule as plugins/sns-on-failure (Rust), decision for decision. Settings, all
// optional, declared in `describe` so that the host checks them at load: `topic-arn` (default
// `arn:<partition>:sns:<region>:<account>:glue-job-failures`), `notify-stopped` (`true` to
// publish for stopped runs too), `job-name` (a glob). `describe` turns `notify-stopped` and
// `job-name` into the event pattern; `evaluate` checks them again. The subject and the message
// are EventBridge input templates, rendered by the SDK over the event's JSON.
#include <stdlib.h>

#define GLUE_RULES_IMPLEMENTATION
#include "glue_rules.h"

// The event fields the notification names, as an EventBridge InputPathsMap.
static const gr_input_path PATHS[] = {
    {"job", "$.detail.jobName"}, {"run", "$.detail.jobRunId"},  {"state", "$.detail.state"},
    {"severity", "$.detail.severity"}, {"message", "$.detail.message"}, {"time", "$.time"},
    {"region", "$.region"},      {"account", "$.account"},      {"id", "$.id"},
};
#define PATH_COUNT (sizeof PATHS / sizeof PATHS[0])

// The EventBridge pattern for these settings (ERROR counts as a failure in Glue).
static rule_string_t pattern(bool notify_stopped, const rule_string_t *job_name) {
  gr_buf json = GR_BUF_INIT;
  gr_buf_cstr(&json,
              "{\"source\":[\"aws.glue\"],\"detail-type\":[\"Glue Job State Change\"],"
              "\"detail\":{\"state\":[\"FAILED\",\"TIMEOUT\",\"ERROR\"");
  if (notify_stopped) gr_buf_cstr(&json, ",\"STOPPED\"");
  gr_buf_cstr(&json, "]");
  if (job_name) {
    gr_buf value = GR_BUF_INIT;
    if (gr_buf_glob_pattern_value(&value, job_name)) {
      gr_buf_cstr(&json, ",\"jobName\":[");
      gr_buf_push(&json, value.ptr, value.len);
      gr_buf_cstr(&json, "]");
    }
    free(value.ptr);
  }
  gr_buf_cstr(&json, "}}");
  return gr_buf_take(&json);
}

bool exports_glue_rules_handler_describe(rule_list_tuple2_string_string_t *settings,
                                         glue_rules_types_metadata_t *ret, rule_string_t *err) {
  bool notify_stopped;
  bool ok = gr_settings_bool(settings, "notify-stopped", false, &notify_stopped, err);
  if (ok) {
    rule_string_t job_name;
    bool has_job_name = gr_settings_get(settings, "job-name", &job_name);
    gr_metadata(ret, "sns-on-failure", "0.1.0",
                "Publishes to an SNS topic when a Glue job run fails or times out.",
                pattern(notify_stopped, has_job_name ? &job_name : NULL));
    if (has_job_name) rule_string_free(&job_name);
    gr_metadata_setting(ret, GLUE_RULES_TYPES_SETTING_KIND_STRING, "topic-arn",
                        "The SNS topic to publish to; default "
                        "arn:<partition>:sns:<region>:<account>:glue-job-failures.",
                        NULL);
    gr_metadata_setting(ret, GLUE_RULES_TYPES_SETTING_KIND_BOOL, "notify-stopped",
                        "Also publish for runs that were stopped.", "false");
    gr_metadata_setting(ret, GLUE_RULES_TYPES_SETTING_KIND_STRING, "job-name",
                        "A glob (*, ?) the job name must match, e.g. nightly-*.", NULL);
  }
  rule_list_tuple2_string_string_free(settings);
  return ok;
}

// The notification's subject and text (one fact per line, then Glue's own explanation),
// rendered from templates over the event's JSON. A template has no conditionals: the lines
// for an absent severity or message are chosen here, from the typed event.
static bool notification(const glue_rules_types_job_state_change_t *change, rule_string_t *subject,
                         rule_string_t *text, rule_string_t *err) {
  gr_buf tmpl = GR_BUF_INIT;
  gr_buf_cstr(&tmpl,
              "AWS Glue job <job> ended in state <state>.\n\n"
              "Job name: <job>\nRun id:   <run>\nState:    <state>\n");
  if (change->severity.is_some) gr_buf_cstr(&tmpl, "Severity: <severity>\n");
  gr_buf_cstr(&tmpl,
              "Time:     <time>\nRegion:   <region>\nAccount:  <account>\nEvent id: <id>\n\n"
              "Message from Glue:\n");
  gr_buf_cstr(&tmpl, change->message.is_some ? "<message>" : "(none)");
  gr_buf_push(&tmpl, (const uint8_t *)"", 1);  // NUL-terminated

  rule_string_t event = gr_event_json();
  bool ok = gr_render("Glue job <job> <state>", PATHS, PATH_COUNT, event.ptr, event.len, NULL,
                      subject, err);
  if (ok && !gr_render((const char *)tmpl.ptr, PATHS, PATH_COUNT, event.ptr, event.len, NULL,
                       text, err)) {
    rule_string_free(subject);
    ok = false;
  }
  rule_string_free(&event);
  gr_buf_free(&tmpl);
  return ok;
}

static bool decide(glue_rules_types_event_t *event, glue_rules_types_decision_t *ret,
                   rule_string_t *err) {
  rule_string_t topic;
  bool has_topic = gr_config_get("topic-arn", &topic);
  bool notify_stopped;
  if (!gr_config_bool("notify-stopped", false, &notify_stopped, err)) {
    if (has_topic) rule_string_free(&topic);
    return false;
  }
  rule_string_t filter;
  bool has_filter = gr_config_get("job-name", &filter);

  gr_buf reason = GR_BUF_INIT;
  bool fired = false;
  if (event->detail.tag != GLUE_RULES_TYPES_DETAIL_JOB_STATE_CHANGE) {
    gr_buf_cstr(&reason, "detail-type \"");
    gr_buf_str(&reason, &event->detail_type);
    gr_buf_cstr(&reason, "\" is not Glue Job State Change");
  } else if (!gr_str_eq(&event->source, "aws.glue")) {
    gr_buf_cstr(&reason, "source \"");
    gr_buf_str(&reason, &event->source);
    gr_buf_cstr(&reason, "\" is not aws.glue");
  } else {
    glue_rules_types_job_state_change_t *change = &event->detail.val.job_state_change;
    rule_string_t state = gr_job_state_name(&change->state);
    uint8_t tag = change->state.tag;
    gr_buf_cstr(&reason, "job ");
    gr_buf_str(&reason, &change->job_name);
    if (tag == GLUE_RULES_TYPES_JOB_STATE_STOPPED && !notify_stopped) {
      gr_buf_cstr(&reason, " STOPPED and notify-stopped is off");
    } else if (tag != GLUE_RULES_TYPES_JOB_STATE_STOPPED &&
               tag != GLUE_RULES_TYPES_JOB_STATE_FAILED &&
               tag != GLUE_RULES_TYPES_JOB_STATE_TIMEOUT &&
               tag != GLUE_RULES_TYPES_JOB_STATE_ERROR) {
      gr_buf_cstr(&reason, " is ");
      gr_buf_str(&reason, &state);
    } else if (has_filter && !gr_glob(&filter, &change->job_name)) {
      gr_buf_cstr(&reason, " does not match job-name filter \"");
      gr_buf_str(&reason, &filter);
      gr_buf_cstr(&reason, "\"");
    } else {
      fired = true;
      gr_buf_cstr(&reason, " ");
      gr_buf_str(&reason, &state);
      if (!has_topic) {
        gr_buf arn = GR_BUF_INIT;
        gr_buf_cstr(&arn, "arn:");
        gr_buf_cstr(&arn, gr_partition(&event->region));
        gr_buf_cstr(&arn, ":sns:");
        gr_buf_str(&arn, &event->region);
        gr_buf_cstr(&arn, ":");
        gr_buf_str(&arn, &event->account);
        gr_buf_cstr(&arn, ":glue-job-failures");
        topic = gr_buf_take(&arn);
        has_topic = true;
      }
      rule_string_t subject, text;
      if (!notification(change, &subject, &text, err)) {
        gr_buf_free(&reason);
        rule_string_free(&topic);
        if (has_filter) rule_string_free(&filter);
        return false;
      }
      rule_string_t severity = {NULL, 0};
      if (change->severity.is_some) severity = gr_severity_name(&change->severity.val);
      glue_rules_types_action_t publish = gr_sns(topic, subject, text);
      has_topic = false;  // taken over by the action
      gr_sns_attribute(&publish, "jobName", &change->job_name);
      gr_sns_attribute(&publish, "state", &state);
      gr_sns_attribute(&publish, "severity", &severity);
      gr_matched(ret, publish, gr_buf_take(&reason));
    }
  }
  if (!fired) gr_no_match(ret, gr_buf_take(&reason));
  if (has_topic) rule_string_free(&topic);
  if (has_filter) rule_string_free(&filter);
  return true;
}

bool exports_glue_rules_handler_evaluate(glue_rules_types_event_t *event,
                                         glue_rules_types_decision_t *ret, rule_string_t *err) {
  bool ok = decide(event, ret, err);
  glue_rules_types_event_free(event);
  return ok;
}
