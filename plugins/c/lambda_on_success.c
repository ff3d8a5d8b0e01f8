// lambda-on-success, in C: invokes a Lambda function when a Glue job run succeeds.
//
// The same rule as plugins/lambda-on-success (Rust), decision for decision. Settings, all
// optional, declared in `describe` so that the host checks them at load (and `describe`
// refuses an unknown `invocation-type`): `job-name` (a glob, part of the event pattern unless
// it has a `?`), `function-name` (default `glue-job-succeeded`), `invocation-type` (`event`,
// the default, or `request-response`). The success reason is an EventBridge input template
// rendered by the SDK over the event's JSON.
#include <stdlib.h>
#include <string.h>

#define GLUE_RULES_IMPLEMENTATION
#include "glue_rules.h"

// The event fields the success reason names, as an EventBridge InputPathsMap.
static const gr_input_path PATHS[] = {{"job", "$.detail.jobName"}, {"run", "$.detail.jobRunId"}};

// The EventBridge pattern: successful job runs of the jobs the `job-name` glob selects.
static rule_string_t pattern(const rule_string_t *job_name) {
  gr_buf json = GR_BUF_INIT;
  gr_buf_cstr(&json,
              "{\"source\":[\"aws.glue\"],\"detail-type\":[\"Glue Job State Change\"],"
              "\"detail\":{\"state\":[\"SUCCEEDED\"]");
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

// `text` (the configured `invocation-type`, or NULL when unset) into `out`, or a sentence in
// `err`.
static bool invocation_type(const rule_string_t *text, glue_rules_types_invocation_type_t *out,
                            rule_string_t *err) {
  *out = GLUE_RULES_TYPES_INVOCATION_TYPE_EVENT;
  if (!text || gr_parse_invocation_type(text, out)) return true;
  gr_buf message = GR_BUF_INIT;
  gr_buf_cstr(&message, "setting `invocation-type` must be event or request-response, not \"");
  gr_buf_str(&message, text);
  gr_buf_cstr(&message, "\"");
  *err = gr_buf_take(&message);
  return false;
}

bool exports_glue_rules_handler_describe(rule_list_tuple2_string_string_t *settings,
                                         glue_rules_types_metadata_t *ret, rule_string_t *err) {
  rule_string_t text;
  bool has_text = gr_settings_get(settings, "invocation-type", &text);
  glue_rules_types_invocation_type_t type;
  bool ok = invocation_type(has_text ? &text : NULL, &type, err);
  if (has_text) rule_string_free(&text);
  if (ok) {
    rule_string_t job_name;
    bool has_job_name = gr_settings_get(settings, "job-name", &job_name);
    gr_metadata(ret, "lambda-on-success", "0.1.0",
                "Invokes a Lambda function when a Glue job run succeeds.",
                pattern(has_job_name ? &job_name : NULL));
    if (has_job_name) rule_string_free(&job_name);
    gr_metadata_setting(ret, GLUE_RULES_TYPES_SETTING_KIND_STRING, "job-name",
                        "A glob (*, ?) the job name must match, e.g. nightly-*.", NULL);
    gr_metadata_setting(ret, GLUE_RULES_TYPES_SETTING_KIND_STRING, "function-name",
                        "The Lambda function to invoke.", "glue-job-succeeded");
    gr_metadata_setting(ret, GLUE_RULES_TYPES_SETTING_KIND_STRING, "invocation-type",
                        "event (asynchronous) or request-response.", "event");
  }
  rule_list_tuple2_string_string_free(settings);
  return ok;
}

// Adds `"key":"value"` to a JSON object under construction.
static void member(gr_buf *json, const char *key, const rule_string_t *value) {
  if (json->len > 1) gr_buf_cstr(json, ",");
  gr_buf_json_string(json, (const uint8_t *)key, strlen(key));
  gr_buf_cstr(json, ":");
  gr_buf_json_string(json, value->ptr, value->len);
}

static bool decide(glue_rules_types_event_t *event, glue_rules_types_decision_t *ret,
                   rule_string_t *err) {
  rule_string_t text;
  bool has_text = gr_config_get("invocation-type", &text);
  glue_rules_types_invocation_type_t invocation_type_value;
  bool ok = invocation_type(has_text ? &text : NULL, &invocation_type_value, err);
  if (has_text) rule_string_free(&text);
  if (!ok) return false;
  rule_string_t filter;
  bool has_filter = gr_config_get("job-name", &filter);
  rule_string_t function_name = gr_config_get_or("function-name", "glue-job-succeeded");

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
    gr_buf_cstr(&reason, "job ");
    gr_buf_str(&reason, &change->job_name);
    if (change->state.tag != GLUE_RULES_TYPES_JOB_STATE_SUCCEEDED) {
      gr_buf_cstr(&reason, " is ");
      gr_buf_str(&reason, &state);
    } else if (has_filter && !gr_glob(&filter, &change->job_name)) {
      gr_buf_cstr(&reason, " does not match job-name filter \"");
      gr_buf_str(&reason, &filter);
      gr_buf_cstr(&reason, "\"");
    } else {
      rule_string_t succeeded;
      if (!gr_render_event("job <job> succeeded (run <run>)", PATHS, 2, NULL, &succeeded, err)) {
        gr_buf_free(&reason);
        rule_string_free(&function_name);
        if (has_filter) rule_string_free(&filter);
        return false;
      }
      fired = true;
      gr_buf json = GR_BUF_INIT;
      gr_buf_cstr(&json, "{");
      member(&json, "jobName", &change->job_name);
      member(&json, "jobRunId", &change->job_run_id);
      member(&json, "state", &state);
      member(&json, "time", &event->time);
      member(&json, "region", &event->region);
      member(&json, "account", &event->account);
      member(&json, "eventId", &event->id);
      gr_buf_cstr(&json, "}");
      gr_buf line = GR_BUF_INIT;
      gr_buf_cstr(&line, "invoking ");
      gr_buf_str(&line, &function_name);
      gr_buf_cstr(&line, " (");
      gr_buf_cstr(&line, gr_invocation_type_name(invocation_type_value));
      gr_buf_cstr(&line, ") for job ");
      gr_buf_str(&line, &change->job_name);
      gr_log_buf(GLUE_RULES_TYPES_LOG_LEVEL_DEBUG, &line);
      gr_buf_free(&reason);
      gr_matched(ret, gr_lambda(function_name, gr_buf_take(&json), invocation_type_value),
                 succeeded);
    }
  }
  if (!fired) {
    rule_string_free(&function_name);
    gr_no_match(ret, gr_buf_take(&reason));
  }
  if (has_filter) rule_string_free(&filter);
  return true;
}

bool exports_glue_rules_handler_evaluate(glue_rules_types_event_t *event,
                                         glue_rules_types_decision_t *ret, rule_string_t *err) {
  bool ok = decide(event, ret, err);
  glue_rules_types_event_free(event);
  return ok;
}
