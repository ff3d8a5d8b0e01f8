// {{name}}: publishes to an SNS topic when a Glue job run fails.
//
// Setting `topic-arn` (required, declared in `describe`, so the host refuses to load the
// plugin without it): the topic to publish to. The message is an EventBridge input template
// (an InputPathsMap and an InputTemplate), rendered by the SDK over the event's JSON.
//
// The SDK is the single header glue_rules.h (package glue-rules-sdk-c); this file is the one
// that compiles its definitions.
#define GLUE_RULES_IMPLEMENTATION
#include "glue_rules.h"

// The events this rule wants: failed Glue job runs.
static const char PATTERN[] =
    "{\"source\":[\"aws.glue\"],\"detail-type\":[\"Glue Job State Change\"],"
    "\"detail\":{\"state\":[\"FAILED\",\"TIMEOUT\",\"ERROR\"]}}";

// The event fields the message names, and the message.
static const gr_input_path PATHS[] = {
    {"job", "$.detail.jobName"},
    {"run", "$.detail.jobRunId"},
    {"state", "$.detail.state"},
};
static const char MESSAGE[] = "Glue job <job> (run <run>) ended in state <state>.";

bool exports_glue_rules_handler_describe(rule_list_tuple2_string_string_t *settings,
                                         glue_rules_types_metadata_t *ret, rule_string_t *err) {
  (void)err;
  gr_metadata(ret, "{{name}}", "0.1.0", "Publishes to an SNS topic when a Glue job run fails.",
              gr_string(PATTERN));
  gr_metadata_setting(ret, GLUE_RULES_TYPES_SETTING_KIND_STRING, "topic-arn",
                      "The SNS topic to publish to.", NULL)
      ->required = true;
  rule_list_tuple2_string_string_free(settings);  // the settings belong to the plugin
  return true;
}

static bool decide(glue_rules_types_event_t *event, glue_rules_types_decision_t *ret,
                   rule_string_t *err) {
  rule_string_t topic;
  if (!gr_config_require("topic-arn", &topic, err)) return false;
  gr_buf reason = GR_BUF_INIT;
  if (event->detail.tag != GLUE_RULES_TYPES_DETAIL_JOB_STATE_CHANGE) {
    gr_buf_cstr(&reason, "detail-type \"");
    gr_buf_str(&reason, &event->detail_type);
    gr_buf_cstr(&reason, "\" is not Glue Job State Change");
    gr_no_match(ret, gr_buf_take(&reason));
    rule_string_free(&topic);
    return true;
  }
  glue_rules_types_job_state_change_t *change = &event->detail.val.job_state_change;
  rule_string_t state = gr_job_state_name(&change->state);
  uint8_t tag = change->state.tag;
  gr_buf_cstr(&reason, "job ");
  gr_buf_str(&reason, &change->job_name);
  gr_buf_cstr(&reason, " ");
  if (tag != GLUE_RULES_TYPES_JOB_STATE_FAILED && tag != GLUE_RULES_TYPES_JOB_STATE_TIMEOUT &&
      tag != GLUE_RULES_TYPES_JOB_STATE_ERROR) {
    gr_buf_cstr(&reason, "is ");
    gr_buf_str(&reason, &state);
    gr_no_match(ret, gr_buf_take(&reason));
    rule_string_free(&topic);
    return true;
  }
  gr_buf_str(&reason, &state);

  rule_string_t message;
  if (!gr_render_event(MESSAGE, PATHS, sizeof PATHS / sizeof PATHS[0], NULL, &message, err)) {
    gr_buf_free(&reason);
    rule_string_free(&topic);
    return false;
  }
  gr_buf line = GR_BUF_INIT;
  gr_buf_push(&line, reason.ptr, reason.len);
  gr_buf_cstr(&line, ": publishing to ");
  gr_buf_str(&line, &topic);
  gr_log_buf(GLUE_RULES_TYPES_LOG_LEVEL_INFO, &line);

  gr_buf subject = GR_BUF_INIT;
  gr_buf_cstr(&subject, "Glue job ");
  gr_buf_str(&subject, &change->job_name);
  gr_buf_cstr(&subject, " ");
  gr_buf_str(&subject, &state);
  gr_matched(ret, gr_sns(topic, gr_buf_take(&subject), message), gr_buf_take(&reason));
  return true;
}

bool exports_glue_rules_handler_evaluate(glue_rules_types_event_t *event,
                                         glue_rules_types_decision_t *ret, rule_string_t *err) {
  bool ok = decide(event, ret, err);
  glue_rules_types_event_free(event);  // the event belongs to the plugin
  return ok;
}
