// The unit test of {{name}}: src/rule.c compiled natively (`./build.sh test`) against the
// SDK's stand-in for the host (glue_rules_testing.h), deciding about the project's own fixture.
#define GLUE_RULES_TESTING_IMPLEMENTATION
#include "glue_rules_testing.h"

#define TOPIC "arn:aws:sns:us-east-1:123456789012:{{name}}-alerts"
#define RUN "jr_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

int main(void) {
  rule_string_t err;
  // Configured as glue-rules.toml configures it: `describe` runs, the host's checks apply.
  static const char *const settings[][2] = {
      {"topic-arn", TOPIC},
  };
  glue_rules_types_metadata_t metadata;
  if (!GR_CHECK_OK(gr_test_configure(settings, 1, &metadata, &err), err)) return gr_test_finish();
  GR_CHECK_STR(&metadata.name, "{{name}}");
  glue_rules_types_metadata_free(&metadata);

  // The fixture, typed by the host's own parser (`glue-rules event --typed`).
  glue_rules_types_event_t event;
  glue_rules_types_decision_t decision;
  if (!GR_CHECK_OK(gr_test_load_event("fixtures/job-failed.json", &event, &err), err) ||
      !GR_CHECK_OK(exports_glue_rules_handler_evaluate(&event, &decision, &err), err))
    return gr_test_finish();  // evaluate took the event over

  GR_CHECK(decision.matched);
  GR_CHECK_STR(&decision.reason.val, "job MyJob FAILED");
  if (GR_CHECK(decision.actions.len == 1 &&
               decision.actions.ptr[0].tag == GLUE_RULES_TYPES_ACTION_SNS)) {
    const glue_rules_types_sns_publish_t *sns = &decision.actions.ptr[0].val.sns;
    GR_CHECK_STR(&sns->topic_arn, TOPIC);
    GR_CHECK(sns->subject.is_some);
    GR_CHECK_STR(&sns->subject.val, "Glue job MyJob FAILED");
    GR_CHECK_CONTAINS(&sns->message, "Glue job MyJob (run " RUN ")");
    GR_CHECK_CONTAINS(&sns->message, " FAILED.");
  }
  GR_CHECK(gr_test_logged("job MyJob FAILED: publishing to " TOPIC));
  glue_rules_types_decision_free(&decision);
  return gr_test_finish();
}
