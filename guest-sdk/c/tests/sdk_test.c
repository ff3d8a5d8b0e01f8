// The C SDK's own tests, run natively by `guest-sdk/c/test.sh`: the templates against the Rust
// SDK's table (EventBridge's documented examples), the JSON reader and its limits, the
// settings, the action builders, and the stand-in host (settings, logs, event JSON, typed
// events) through a small sample rule defined at the end of this file.
#define GLUE_RULES_IMPLEMENTATION
#include "glue_rules.h"
#define GLUE_RULES_TESTING_IMPLEMENTATION
#include "glue_rules_testing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------

static rule_string_t view(const char *text) {
  rule_string_t out = {(uint8_t *)text, strlen(text)};
  return out;
}

/// The EC2 state-change event of EventBridge's input transformation guide.
static const char EC2[] =
    "{\"version\": \"0\", \"id\": \"7bf73129-1428-4cd3-a780-95db273d1602\","
    " \"detail-type\": \"EC2 Instance State-change Notification\", \"source\": \"aws.ec2\","
    " \"account\": \"123456789012\", \"time\": \"2015-11-11T21:29:54Z\", \"region\": \"us-east-1\","
    " \"resources\": [\"arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111\"],"
    " \"detail\": {\"instance-id\": \"i-0123456789\", \"state\": \"RUNNING\"}}";

static const gr_input_path PATHS[] = {{"instance", "$.detail.instance-id"},
                                      {"state", "$.detail.state"}};

// Renders `tmpl` over `event` and checks the text is `expected`.
static void check_render(const char *tmpl, const gr_input_path *paths, size_t count,
                         const char *event, const gr_predefined *predefined,
                         const char *expected) {
  rule_string_t out, err;
  if (!GR_CHECK_OK(gr_render(tmpl, paths, count, (const uint8_t *)event, strlen(event),
                             predefined, &out, &err),
                   err))
    return;
  GR_CHECK_STR(&out, expected);
  rule_string_free(&out);
}

// Renders `tmpl` expecting an error that contains `needle`.
static void check_render_fails(const char *tmpl, const gr_input_path *paths, size_t count,
                               const char *event, const char *needle) {
  rule_string_t out, err;
  bool ok = gr_render(tmpl, paths, count, (const uint8_t *)event, strlen(event), NULL, &out, &err);
  if (!GR_CHECK(!ok)) {
    rule_string_free(&out);
    return;
  }
  GR_CHECK_CONTAINS(&err, needle);
  rule_string_free(&err);
}

// Checks that `text` does not parse, with exactly `expected` as the error.
static void check_json_error(const char *text, size_t len, const char *expected) {
  gr_json value;
  rule_string_t err;
  if (!GR_CHECK(!gr_json_parse((const uint8_t *)text, len, &value, &err))) return;
  GR_CHECK_STR(&err, expected);
  rule_string_free(&err);
}

// ------------------------------------------------------------------------------------------
// Templates: the Rust SDK's table
// ------------------------------------------------------------------------------------------

static void the_guides_examples_render_as_eventbridge_renders_them(void) {
  // A JSON string template: the values inside the string.
  check_render("\"instance <instance> is in <state>\"", PATHS, 2, EC2, NULL,
               "\"instance i-0123456789 is in RUNNING\"");
  // Plain text.
  check_render("instance <instance> is in <state>", PATHS, 2, EC2, NULL,
               "instance i-0123456789 is in RUNNING");
  // Outside quotes in a JSON template: the values as JSON.
  check_render("{\"instance\" : <instance>, \"state\": [9, <state>, true]}", PATHS, 2, EC2, NULL,
               "{\"instance\" : \"i-0123456789\", \"state\": [9, \"RUNNING\", true]}");
  // Inside quotes.
  check_render("{\"instance\" : \"<instance>\", \"state\": \"<state>\"}", PATHS, 2, EC2, NULL,
               "{\"instance\" : \"i-0123456789\", \"state\": \"RUNNING\"}");
  // The API reference's mixed example.
  check_render("{\"myInstance\": <instance>,\"myStatus\": \"<instance> is in state \\\"<state>\\\"\"}",
               PATHS, 2, EC2, NULL,
               "{\"myInstance\": \"i-0123456789\",\"myStatus\": \"i-0123456789 is in state "
               "\\\"RUNNING\\\"\"}");
}

static void values_are_quoted_safely_for_json_strings(void) {
  static const char event[] =
      "{\"detail\": {\"message\": \"a \\\"quoted\\\"\\nline\", \"n\": 3, \"o\": {\"k\": [1]}}}";
  static const gr_input_path paths[] = {
      {"m", "$.detail.message"}, {"n", "$.detail.n"}, {"o", "$.detail.o"}};
  rule_string_t out, err;
  if (!GR_CHECK_OK(gr_render("{\"text\": \"<m> / <n> / <o>\", \"o\": <o>, \"m\": <m>}", paths, 3,
                             (const uint8_t *)event, strlen(event), NULL, &out, &err),
                   err))
    return;
  GR_CHECK_STR(&out,
               "{\"text\": \"a \\\"quoted\\\"\\nline / 3 / {\\\"k\\\":[1]}\", \"o\": {\"k\":[1]}, "
               "\"m\": \"a \\\"quoted\\\"\\nline\"}");
  // Still JSON, and the string decodes to what the event said.
  gr_json parsed, text;
  GR_CHECK_OK(gr_json_parse(out.ptr, out.len, &parsed, &err), err);
  GR_CHECK(gr_json_get(parsed, "text", &text));
  gr_buf decoded = GR_BUF_INIT;
  GR_CHECK(gr_json_string(text, &decoded));
  rule_string_t decoded_text = {decoded.ptr, decoded.len};
  GR_CHECK_STR(&decoded_text, "a \"quoted\"\nline / 3 / {\"k\":[1]}");
  gr_buf_free(&decoded);
  rule_string_free(&out);
}

static void predefined_variables_and_the_whole_event(void) {
  gr_predefined predefined = {"sns-on-failure", "arn:aws:events:us-east-1:123456789012:rule/x",
                              NULL};
  check_render(
      "{\"rule\": \"<aws.events.rule-name>\", \"arn\": \"<aws.events.rule-arn>\", \"at\": "
      "\"<aws.events.event.ingestion-time>\", \"event\": <aws.events.event>, \"all\": "
      "<aws.events.event.json>}",
      PATHS, 2, EC2, &predefined,
      "{\"rule\": \"sns-on-failure\", \"arn\": \"arn:aws:events:us-east-1:123456789012:rule/x\", "
      "\"at\": \"2015-11-11T21:29:54Z\", \"event\": {\"version\":\"0\",\"id\":\"7bf73129-1428-"
      "4cd3-a780-95db273d1602\",\"detail-type\":\"EC2 Instance State-change Notification\","
      "\"source\":\"aws.ec2\",\"account\":\"123456789012\",\"time\":\"2015-11-11T21:29:54Z\","
      "\"region\":\"us-east-1\",\"resources\":[\"arn:aws:ec2:us-east-1:123456789012:instance/"
      "i-abcd1111\"]}, \"all\": {\"version\":\"0\",\"id\":\"7bf73129-1428-4cd3-a780-"
      "95db273d1602\",\"detail-type\":\"EC2 Instance State-change Notification\",\"source\":"
      "\"aws.ec2\",\"account\":\"123456789012\",\"time\":\"2015-11-11T21:29:54Z\",\"region\":"
      "\"us-east-1\",\"resources\":[\"arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111\"],"
      "\"detail\":{\"instance-id\":\"i-0123456789\",\"state\":\"RUNNING\"}}}");
  // An ingestion time given, and predefined values in plain text.
  gr_predefined at = {"r", NULL, "2024-01-02T03:04:05Z"};
  check_render("<aws.events.rule-name> at <aws.events.event.ingestion-time>, arn [<aws.events.rule-arn>]",
               NULL, 0, EC2, &at, "r at 2024-01-02T03:04:05Z, arn []");
  // The whole event cannot go where it would need escaping.
  check_render_fails("\"<aws.events.event.json>\"", NULL, 0, EC2, "only stand as a JSON value");
  check_render_fails("event: <aws.events.event>", NULL, 0, EC2,
                     "<aws.events.event> can only stand as a JSON value, outside quotes");
}

static void arrays_missing_paths_unknown_names_and_bad_paths(void) {
  static const gr_input_path paths[] = {{"arn", "$.resources[0]"}, {"nope", "$.detail.missing"}};
  check_render("{\"arn\": <arn>, \"missing\": <nope>, \"text\": \"[<nope>]\", \"other\": \"<other>\"}",
               paths, 2, EC2, NULL,
               "{\"arn\": \"arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111\", \"missing\": "
               "null, \"text\": \"[]\", \"other\": \"<other>\"}");
  static const gr_input_path unrooted[] = {{"v", "detail.state"}};
  check_render_fails("x", unrooted, 1, EC2, "variable \"v\": path \"detail.state\" must start with $");
  static const gr_input_path reserved[] = {{"aws.x", "$"}};
  check_render_fails("x", reserved, 1, EC2, "variable \"aws.x\": names starting with aws. are reserved");
}

static void paths_limits_and_placement(void) {
  // Every way a path can be wrong, in the Rust SDK's words.
  static const gr_input_path empty[] = {{"v", "$.a..b"}};
  check_render_fails("x", empty, 1, EC2, "variable \"v\": path \"$.a..b\" has an empty member");
  static const gr_input_path unclosed[] = {{"v", "$.resources[0"}};
  check_render_fails("x", unclosed, 1, EC2, "path \"$.resources[0\": unclosed [");
  static const gr_input_path index[] = {{"v", "$.resources[x]"}};
  check_render_fails("x", index, 1, EC2, "path \"$.resources[x]\": \"x\" is not an array index");
  static const gr_input_path stray[] = {{"v", "$x"}};
  check_render_fails("x", stray, 1, EC2, "path \"$x\": expected . or [ at \"x\"");
  // `$` is the whole event; a `+` index is what Rust's usize parser reads; out of range and a
  // member of a non-object select nothing.
  static const gr_input_path odd[] = {
      {"all", "$"}, {"plus", "$.resources[+0]"}, {"far", "$.resources[7]"}, {"deep", "$.time.x"}};
  check_render("<plus>|<far>|<deep>|", odd, 4, EC2, NULL,
               "arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111|||");
  check_render("[<far>, <deep>]", odd, 4, "{\"time\":\"t\",\"resources\":[]}", NULL,
               "[null, null]");
  // Non-string values: in plain text as JSON, inside a string escaped.
  static const char numbers[] = "{\"detail\":{\"n\":-1.5e3,\"b\":true,\"a\":[\"x\",{\"y\":null}]}}";
  static const gr_input_path values[] = {{"n", "$.detail.n"}, {"b", "$.detail.b"}, {"a", "$.detail.a"}};
  check_render("n=<n> b=<b> a=<a>", values, 3, numbers, NULL,
               "n=-1.5e3 b=true a=[\"x\",{\"y\":null}]");
  check_render("{\"s\": \"<a>\"}", values, 3, numbers, NULL,
               "{\"s\": \"[\\\"x\\\",{\\\"y\\\":null}]\"}");
  // An escaped quote inside a JSON template's string does not end it.
  check_render("[\"say \\\"<state>\\\"\", <state>]", PATHS, 2, EC2, NULL,
               "[\"say \\\"RUNNING\\\"\", \"RUNNING\"]");
  // White space before a JSON template's first character; a lone `<` and `<>` stay.
  check_render(" \n {\"a\": <state>, \"b\": \"1 < 2\", \"c\": \"<>\"}", PATHS, 2, EC2, NULL,
               " \n {\"a\": \"RUNNING\", \"b\": \"1 < 2\", \"c\": \"<>\"}");
  // At most 100 variables.
  gr_input_path many[GR_TEMPLATE_MAX_VARIABLES + 1];
  for (size_t i = 0; i <= GR_TEMPLATE_MAX_VARIABLES; i++) {
    many[i].name = "v";
    many[i].path = "$";
  }
  check_render_fails("x", many, GR_TEMPLATE_MAX_VARIABLES + 1, EC2,
                     "101 variables: an input transformer has at most 100");
  check_render("ok", many, GR_TEMPLATE_MAX_VARIABLES, EC2, NULL, "ok");
  // Output is bounded: a template that repeats a large event fails instead of growing.
  size_t big = 300 * 1024;
  char *event = (char *)malloc(big + 32);
  GR_CHECK(event != NULL);
  strcpy(event, "{\"detail\":{\"x\":\"");
  size_t len = strlen(event);
  memset(event + len, 'a', big);
  strcpy(event + len + big, "\"}}");
  static const gr_input_path x[] = {{"x", "$.detail.x"}};
  check_render_fails("<x><x><x><x>", x, 1, event, "the rendered template is over 1048576 bytes");
  rule_string_t out, err;
  if (GR_CHECK_OK(gr_render("<x><x><x>", x, 1, (const uint8_t *)event, strlen(event), NULL, &out,
                            &err),
                  err)) {
    GR_CHECK(out.len == 3 * big);
    rule_string_free(&out);
  }
  free(event);
  // The event must be JSON.
  check_render_fails("x", NULL, 0, "{\"a\":", "the event's JSON: EOF while parsing a value");
}

// ------------------------------------------------------------------------------------------
// The JSON reader
// ------------------------------------------------------------------------------------------

static void json_errors_name_the_place(void) {
  check_json_error("", 0, "EOF while parsing a value at line 1 column 0");
  check_json_error("[1,]", 4, "expected value at line 1 column 4");
  check_json_error("{\"a\" 1}", 7, "expected `:` at line 1 column 6");
  check_json_error("{\"a\":1,}", 8, "key must be a string at line 1 column 8");
  check_json_error("[1 2]", 5, "expected `,` or `]` at line 1 column 4");
  check_json_error("1 2", 3, "trailing characters at line 1 column 3");
  check_json_error("\n\n  nul", 7, "expected ident at line 3 column 3");
  check_json_error("01", 2, "trailing characters at line 1 column 2");
  check_json_error("-", 1, "invalid number at line 1 column 1");
  check_json_error("1.", 2, "invalid number at line 1 column 2");
  check_json_error("\"\\ud800\"", 8, "lone leading surrogate in hex escape at line 1 column 2");
  check_json_error("\"\\x\"", 4, "invalid escape at line 1 column 2");
  check_json_error("\"a\nb\"", 5,
                   "control character (\\u0000-\\u001F) found while parsing a string at line 1 "
                   "column 3");
  check_json_error("\"\xff\"", 3, "invalid unicode code point at line 1 column 2");
  check_json_error("\"\xed\xa0\x80\"", 5, "invalid unicode code point at line 1 column 2");
  check_json_error("\"\xc0\xaf\"", 4, "invalid unicode code point at line 1 column 2");
  check_json_error("[\"open", 6, "EOF while parsing a string at line 1 column 6");
}

static void json_nesting_is_bounded_without_recursion(void) {
  char deep[2 * (GR_JSON_MAX_DEPTH + 1) + 1];
  gr_json value;
  rule_string_t err;
  for (size_t n = GR_JSON_MAX_DEPTH; n <= GR_JSON_MAX_DEPTH + 1; n++) {
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    bool ok = gr_json_parse((const uint8_t *)deep, 2 * n, &value, &err);
    if (n == GR_JSON_MAX_DEPTH) {
      GR_CHECK_OK(ok, err);
    } else if (GR_CHECK(!ok)) {
      GR_CHECK_STR(&err, "recursion limit exceeded at line 1 column 129");
      rule_string_free(&err);
    }
  }
  // Objects count the same.
  gr_buf objects = GR_BUF_INIT;
  for (size_t i = 0; i <= GR_JSON_MAX_DEPTH; i++) gr_buf_cstr(&objects, "{\"a\":");
  gr_buf_cstr(&objects, "1");
  for (size_t i = 0; i <= GR_JSON_MAX_DEPTH; i++) gr_buf_cstr(&objects, "}");
  GR_CHECK(!gr_json_parse(objects.ptr, objects.len, &value, &err));
  rule_string_free(&err);
  gr_buf_free(&objects);
}

static void json_access_and_writing(void) {
  static const char text[] =
      " {\"a\" : \"\\u00e9\\/\\u0008\\ud83d\\ude00\" , \"b\":[1, 2.50, {\"c\": null}],"
      " \"a\": \"last\", \"t\": true, \"f\": false} ";
  gr_json doc, v, item;
  rule_string_t err;
  if (!GR_CHECK_OK(gr_json_parse((const uint8_t *)text, strlen(text), &doc, &err), err)) return;
  GR_CHECK(gr_json_type(doc) == GR_JSON_OBJECT);
  // A repeated key: the last one wins, as in serde_json.
  GR_CHECK(gr_json_get(doc, "a", &v) && gr_json_string_eq(v, (const uint8_t *)"last", 4));
  GR_CHECK(gr_json_get(doc, "b", &v) && gr_json_type(v) == GR_JSON_ARRAY);
  GR_CHECK(gr_json_at(v, 1, &item) && gr_json_type(item) == GR_JSON_NUMBER && item.len == 4);
  GR_CHECK(gr_json_at(v, 2, &item) && gr_json_get(item, "c", &item) &&
           gr_json_type(item) == GR_JSON_NULL);
  GR_CHECK(!gr_json_at(v, 3, &item));
  GR_CHECK(!gr_json_get(v, "a", &item));
  GR_CHECK(gr_json_get(doc, "t", &v) && gr_json_type(v) == GR_JSON_TRUE);
  GR_CHECK(gr_json_get(doc, "f", &v) && gr_json_type(v) == GR_JSON_FALSE);
  GR_CHECK(!gr_json_get(doc, "missing", &v));
  // Escapes decode, a surrogate pair to one character.
  gr_json_iter it = gr_json_iterate(doc);
  gr_json key;
  GR_CHECK(gr_json_next(&it, &key, &v));
  GR_CHECK(gr_json_string_eq(key, (const uint8_t *)"a", 1));
  gr_buf decoded = GR_BUF_INIT;
  GR_CHECK(gr_json_string(v, &decoded));
  rule_string_t decoded_text = {decoded.ptr, decoded.len};
  GR_CHECK_STR(&decoded_text, "\xc3\xa9/\b\xf0\x9f\x98\x80");
  gr_buf_free(&decoded);
  // Written compact, strings as serde_json escapes them, numbers as written.
  gr_buf out = GR_BUF_INIT;
  gr_json_write(&out, doc);
  rule_string_t written = {out.ptr, out.len};
  GR_CHECK_STR(&written,
               "{\"a\":\"\xc3\xa9/\\b\xf0\x9f\x98\x80\",\"b\":[1,2.50,{\"c\":null}],\"a\":\"last\","
               "\"t\":true,\"f\":false}");
  gr_buf_free(&out);
  gr_json_escape(&out, (const uint8_t *)"q\"b\\\x01\x1f\x7f\f\r\t\n", 11);
  written.ptr = out.ptr;
  written.len = out.len;
  GR_CHECK_STR(&written, "q\\\"b\\\\\\u0001\\u001f\x7f\\f\\r\\t\\n");
  gr_buf_free(&out);
}

// ------------------------------------------------------------------------------------------
// Strings, settings and builders
// ------------------------------------------------------------------------------------------

static void strings_trim_and_cut_by_character(void) {
  rule_string_t text = view("\xc2\xa0 \t zürich \xe3\x80\x80\n");
  rule_string_t trimmed = gr_trim(text);
  GR_CHECK_STR(&trimmed, "zürich");
  rule_string_t cut = gr_truncate_chars(view("zürich"), 2);
  GR_CHECK_STR(&cut, "zü");
  GR_CHECK(gr_str_contains(&text, "rich") && !gr_str_contains(&text, "Zur"));
  // The Rust SDK's JSON string writer (payloads) keeps \b and \f as \u escapes.
  gr_buf json = GR_BUF_INIT;
  gr_buf_json_string(&json, (const uint8_t *)"a\"\b\f\n", 5);
  rule_string_t written = {json.ptr, json.len};
  GR_CHECK_STR(&written, "\"a\\\"\\u0008\\u000c\\n\"");
  gr_buf_free(&json);
}

static void settings_read_as_the_rust_sdk_reads_them(void) {
  gr_test_reset();
  gr_test_set_config("flag", " YES ");
  gr_test_set_config("bad", "sometimes");
  gr_test_set_config("blank", "   ");
  gr_test_set_config("n", " 1e3 ");
  gr_test_set_config("nan", "12abc");
  gr_test_set_config("list", " a, b ,,c ");
  gr_test_set_config("json", "[\"x, y\", \"z\"]");
  gr_test_set_config("notlist", "[1]");
  bool flag = false;
  double n = 0;
  rule_string_t err, value;
  GR_CHECK(gr_config_bool("flag", false, &flag, &err) && flag);
  GR_CHECK(gr_config_bool("blank", true, &flag, &err) && flag);
  if (GR_CHECK(!gr_config_bool("bad", false, &flag, &err))) {
    GR_CHECK_STR(&err, "setting `bad` must be true or false, not \"sometimes\"");
    rule_string_free(&err);
  }
  GR_CHECK(gr_config_number("n", 0, &n, &err) && n == 1000);
  GR_CHECK(gr_config_number("unset", 2.5, &n, &err) && n == 2.5);
  if (GR_CHECK(!gr_config_number("nan", 0, &n, &err))) {
    GR_CHECK_STR(&err, "setting `nan` has an unreadable value \"12abc\": invalid float literal");
    rule_string_free(&err);
  }
  rule_list_string_t list;
  if (GR_CHECK(gr_config_list("list", &list, &err))) {
    GR_CHECK(list.len == 3 && gr_str_eq(&list.ptr[0], "a") && gr_str_eq(&list.ptr[1], "b") &&
             gr_str_eq(&list.ptr[2], "c"));
    rule_list_string_free(&list);
  }
  if (GR_CHECK(gr_config_list("json", &list, &err))) {
    GR_CHECK(list.len == 2 && gr_str_eq(&list.ptr[0], "x, y") && gr_str_eq(&list.ptr[1], "z"));
    rule_list_string_free(&list);
  }
  GR_CHECK(gr_config_list("unset", &list, &err) && list.len == 0);
  if (GR_CHECK(!gr_config_list("notlist", &list, &err))) {
    GR_CHECK_STR(&err, "setting `notlist` must be a JSON array of strings, not \"[1]\"");
    rule_string_free(&err);
  }
  GR_CHECK(!gr_config_get("blank", &value));
  if (GR_CHECK(!gr_config_require("blank", &value, &err))) {
    GR_CHECK_STR(&err, "setting `blank` is required but not set");
    rule_string_free(&err);
  }
  // In describe's settings a later pair wins.
  rule_tuple2_string_string_t pairs[] = {{view("k"), view("first")}, {view("k"), view(" second ")}};
  rule_list_tuple2_string_string_t settings = {pairs, 2};
  if (GR_CHECK(gr_settings_get(&settings, "k", &value))) {
    GR_CHECK_STR(&value, "second");
    rule_string_free(&value);
  }
  gr_test_reset();
}

static void globs_and_their_patterns(void) {
  rule_string_t pattern = view("nightly-*"), name = view("nightly-orders");
  GR_CHECK(gr_glob(&pattern, &name));
  pattern = view("zürich*ジョブ");
  name = view("zürich-😀-ジョブ");
  GR_CHECK(gr_glob(&pattern, &name));
  pattern = view("job-??");
  name = view("job-4é");
  GR_CHECK(gr_glob(&pattern, &name));
  name = view("job-4");
  GR_CHECK(!gr_glob(&pattern, &name));
  gr_buf value = GR_BUF_INIT;
  pattern = view("nightly-**");
  GR_CHECK(gr_buf_glob_pattern_value(&value, &pattern));
  pattern = view("a*b\\");
  gr_buf_cstr(&value, " ");
  GR_CHECK(gr_buf_glob_pattern_value(&value, &pattern));
  pattern = view("a?");
  GR_CHECK(!gr_buf_glob_pattern_value(&value, &pattern));
  rule_string_t text = {value.ptr, value.len};
  GR_CHECK_STR(&text, "{\"prefix\":\"nightly-\"} {\"wildcard\":\"a*b\\\\\\\\\"}");
  gr_buf_free(&value);
}

static void the_six_actions(void) {
  glue_rules_types_decision_t decision;
  glue_rules_types_action_t sns =
      gr_sns(gr_string("arn:t"), gr_string(" \x01line\nbreak  "), gr_string("m"));
  GR_CHECK(sns.val.sns.subject.is_some);
  GR_CHECK_STR(&sns.val.sns.subject.val, "line break");
  rule_string_t empty = view(""), state = view("FAILED");
  gr_sns_attribute(&sns, "skipped", &empty);
  gr_sns_attribute(&sns, "state", &state);
  rule_string_t three = view("3");
  gr_sns_typed_attribute(&sns, "n", "Number", &three);
  GR_CHECK(sns.val.sns.message_attributes.len == 2);
  GR_CHECK_STR(&sns.val.sns.message_attributes.ptr[1].data_type, "Number");
  gr_matched(&decision, sns, gr_string("why"));
  // A long subject is cut to 100 characters, then trimmed again.
  gr_buf long_subject = GR_BUF_INIT;
  for (int i = 0; i < 99; i++) gr_buf_cstr(&long_subject, "é");
  gr_buf_cstr(&long_subject, " tail");
  glue_rules_types_action_t cut = gr_sns(gr_string("arn:t"), gr_buf_take(&long_subject), gr_string("m"));
  GR_CHECK(cut.val.sns.subject.is_some && cut.val.sns.subject.val.len == 198);
  gr_decision_add_action(&decision, cut);
  glue_rules_types_action_t blank = gr_sns(gr_string("arn:t"), gr_string("\n \t"), gr_string("m"));
  GR_CHECK(!blank.val.sns.subject.is_some);
  gr_decision_add_action(&decision, blank);

  glue_rules_types_action_t sqs = gr_sqs(gr_string("https://sqs/q"), gr_string("{}"));
  gr_sqs_delay_seconds(&sqs, 30);
  gr_sqs_message_group_id(&sqs, gr_string("g1"));
  gr_sqs_message_group_id(&sqs, gr_string("g2"));
  gr_sqs_message_deduplication_id(&sqs, gr_string("event-id"));
  GR_CHECK(sqs.val.sqs.delay_seconds.is_some && sqs.val.sqs.delay_seconds.val == 30);
  GR_CHECK_STR(&sqs.val.sqs.message_group_id.val, "g2");
  gr_decision_add_action(&decision, sqs);

  glue_rules_types_action_t kinesis =
      gr_kinesis(gr_string("arn:aws:kinesis:s"), gr_string("MyJob"), gr_string("{\"a\":1}"));
  GR_CHECK(kinesis.tag == GLUE_RULES_TYPES_ACTION_KINESIS);
  gr_decision_add_action(&decision, kinesis);

  glue_rules_types_action_t sfn = gr_step_functions(gr_string("arn:sm"), gr_string("{}"));
  GR_CHECK(!sfn.val.stepfunctions.name.is_some);
  gr_step_functions_name(&sfn, gr_string("run-1"));
  GR_CHECK_STR(&sfn.val.stepfunctions.name.val, "run-1");
  gr_decision_add_action(&decision, sfn);

  glue_rules_types_action_t ssm = gr_ssm(gr_string("AWS-RunShellScript"));
  gr_ssm_instance_id(&ssm, gr_string("i-1"));
  glue_rules_types_target_t *target = gr_ssm_target(&ssm, gr_string("tag:Role"));
  gr_string_list_push(&target->values, gr_string("etl"));
  GR_CHECK(ssm.val.ssm.targets.tag == GLUE_RULES_TYPES_COMMAND_TARGETS_TARGETS &&
           ssm.val.ssm.targets.val.targets.len == 1);
  glue_rules_types_command_parameter_t *commands = gr_ssm_parameter(&ssm, gr_string("commands"));
  gr_string_list_push(&commands->values, gr_string("systemctl restart etl"));
  gr_buf comment = GR_BUF_INIT;
  for (int i = 0; i < 120; i++) gr_buf_cstr(&comment, "c");
  gr_ssm_comment(&ssm, gr_buf_take(&comment));
  GR_CHECK(ssm.val.ssm.comment.is_some && ssm.val.ssm.comment.val.len == 100);
  gr_ssm_instance_id(&ssm, gr_string("i-2"));  // back to instance ids, targets freed
  GR_CHECK(ssm.val.ssm.targets.tag == GLUE_RULES_TYPES_COMMAND_TARGETS_INSTANCE_IDS &&
           ssm.val.ssm.targets.val.instance_ids.len == 1);
  gr_decision_add_action(&decision, ssm);

  glue_rules_types_action_t lambda =
      gr_lambda(gr_string("f"), gr_string("{}"), GLUE_RULES_TYPES_INVOCATION_TYPE_EVENT);
  gr_decision_add_action(&decision, lambda);
  GR_CHECK(decision.matched && decision.actions.len == 8);
  glue_rules_types_decision_free(&decision);  // everything malloc'd: no leak, no double free

  glue_rules_types_invocation_type_t type;
  rule_string_t setting = view(" Request_Response ");
  GR_CHECK(gr_parse_invocation_type(&setting, &type) &&
           type == GLUE_RULES_TYPES_INVOCATION_TYPE_REQUEST_RESPONSE);
  setting = view("fire-and-forget");
  GR_CHECK(!gr_parse_invocation_type(&setting, &type));
  rule_string_t region = view("cn-north-1");
  GR_CHECK(strcmp(gr_partition(&region), "aws-cn") == 0);
}

// ------------------------------------------------------------------------------------------
// The stand-in host, through the sample rule below
// ------------------------------------------------------------------------------------------

static void configure_checks_settings_as_the_host_does(void) {
  rule_string_t err;
  const char *none[][2] = {{"unused", "x"}};
  if (GR_CHECK(!gr_test_configure(none, 0, NULL, &err))) {
    GR_CHECK_STR(&err, "plugins.sample.config.topic is required but not set");
    rule_string_free(&err);
  }
  const char *bad[][2] = {{"topic", "t"}, {"loud", "sometimes"}};
  if (GR_CHECK(!gr_test_configure(bad, 2, NULL, &err))) {
    GR_CHECK_STR(&err, "plugins.sample.config.loud must be true or false, not \"sometimes\"");
    rule_string_free(&err);
  }
  const char *refused[][2] = {{"topic", "refuse"}};
  if (GR_CHECK(!gr_test_configure(refused, 1, NULL, &err))) {
    GR_CHECK_STR(&err, "topic `refuse` is refused");
    rule_string_free(&err);
  }
  const char *good[][2] = {{"topic", " arn:t "}, {"names", "a, b"}, {"extra", "kept"}};
  glue_rules_types_metadata_t metadata;
  if (!GR_CHECK_OK(gr_test_configure(good, 3, &metadata, &err), err)) return;
  GR_CHECK_STR(&metadata.name, "sample");
  GR_CHECK(metadata.settings.len == 3 && metadata.patterns.len == 1);
  glue_rules_types_metadata_free(&metadata);
  rule_string_t value;
  // Strings as configured, defaults filled in, lists as JSON arrays, undeclared keys kept.
  GR_CHECK(gr_config_get("loud", &value) && gr_str_eq(&value, "false"));
  rule_string_free(&value);
  GR_CHECK(gr_config_get("names", &value) && gr_str_eq(&value, "[\"a\",\"b\"]"));
  rule_string_free(&value);
  GR_CHECK(gr_config_get("extra", &value) && gr_str_eq(&value, "kept"));
  rule_string_free(&value);
}

// The typed view of the template fixture (fixtures/job-failed.json), written by hand in the
// format `glue-rules event --typed` prints.
static const char TYPED_FAILED[] =
    "{\"version\":\"0\",\"id\":\"abcdef01-1234-5678-9abc-def012345678\",\"detail-type\":\"Glue "
    "Job State Change\",\"source\":\"aws.glue\",\"account\":\"123456789012\",\"time\":\"2017-09-"
    "07T06:02:03Z\",\"region\":\"us-west-2\",\"resources\":[],\"detail\":{\"tag\":\"job-state-"
    "change\",\"val\":{\"job-name\":\"MyJob\",\"job-run-id\":\"jr_0123\",\"state\":{\"tag\":"
    "\"failed\"},\"severity\":{\"tag\":\"error\"},\"message\":\"boom\"}}}";

static const char RAW_FAILED[] =
    "{\"version\":\"0\",\"id\":\"abcdef01-1234-5678-9abc-def012345678\",\"detail-type\":\"Glue "
    "Job State Change\",\"source\":\"aws.glue\",\"account\":\"123456789012\",\"time\":\"2017-09-"
    "07T06:02:03Z\",\"region\":\"us-west-2\",\"resources\":[],\"detail\":{\"jobName\":\"MyJob\","
    "\"severity\":\"ERROR\",\"state\":\"FAILED\",\"jobRunId\":\"jr_0123\",\"message\":\"boom\"}}";

static void typed_events_convert_into_the_binding_structs(void) {
  glue_rules_types_event_t event;
  rule_string_t err;
  if (!GR_CHECK_OK(gr_test_event_from_typed_json((const uint8_t *)TYPED_FAILED,
                                                 strlen(TYPED_FAILED), &event, &err),
                   err))
    return;
  GR_CHECK_STR(&event.region, "us-west-2");
  GR_CHECK(event.detail.tag == GLUE_RULES_TYPES_DETAIL_JOB_STATE_CHANGE);
  glue_rules_types_job_state_change_t *change = &event.detail.val.job_state_change;
  GR_CHECK_STR(&change->job_name, "MyJob");
  GR_CHECK(change->state.tag == GLUE_RULES_TYPES_JOB_STATE_FAILED);
  GR_CHECK(change->severity.is_some && change->severity.val.tag == GLUE_RULES_TYPES_SEVERITY_ERROR);
  GR_CHECK(change->message.is_some && gr_str_eq(&change->message.val, "boom"));
  glue_rules_types_event_free(&event);

  static const char crawler[] =
      "{\"version\":\"0\",\"id\":\"c\",\"detail-type\":\"Glue Crawler State Change\",\"source\":"
      "\"aws.glue\",\"account\":\"1\",\"time\":\"t\",\"region\":\"r\",\"resources\":[\"x\"],"
      "\"detail\":{\"tag\":\"crawler-state-change\",\"val\":{\"crawler-name\":\"c1\",\"state\":"
      "{\"tag\":\"other\",\"val\":\"Paused\"},\"message\":null,\"tables-created\":18446744073709551615,"
      "\"running-time-sec\":12.5}}}";
  if (GR_CHECK_OK(gr_test_event_from_typed_json((const uint8_t *)crawler, strlen(crawler), &event,
                                                &err),
                  err)) {
    glue_rules_types_crawler_state_change_t *c = &event.detail.val.crawler_state_change;
    GR_CHECK(event.detail.tag == GLUE_RULES_TYPES_DETAIL_CRAWLER_STATE_CHANGE);
    GR_CHECK(c->state.tag == GLUE_RULES_TYPES_CRAWLER_STATE_OTHER &&
             gr_str_eq(&c->state.val.other, "Paused"));
    GR_CHECK(!c->message.is_some && c->tables_created.is_some &&
             c->tables_created.val == UINT64_MAX && !c->tables_updated.is_some);
    GR_CHECK(c->running_time_sec.is_some && c->running_time_sec.val == 12.5);
    GR_CHECK(event.resources.len == 1);
    glue_rules_types_event_free(&event);
  }

  static const char quality[] =
      "{\"version\":\"0\",\"id\":\"q\",\"detail-type\":\"Data Quality Evaluation Results "
      "Available\",\"source\":\"aws.glue-dataquality\",\"account\":\"1\",\"time\":\"t\","
      "\"region\":\"r\",\"resources\":[],\"detail\":{\"tag\":\"data-quality-result\",\"val\":{"
      "\"result-id\":\"dqr\",\"ruleset-names\":[\"rs\"],\"state\":{\"tag\":\"failed\"},\"score\":"
      "0.5,\"rules-succeeded\":1,\"rules-failed\":1,\"rules-skipped\":null,\"context\":{"
      "\"context-type\":\"GLUE_JOB\",\"job-name\":\"j\"}}}}";
  if (GR_CHECK_OK(gr_test_event_from_typed_json((const uint8_t *)quality, strlen(quality), &event,
                                                &err),
                  err)) {
    glue_rules_types_data_quality_result_t *q = &event.detail.val.data_quality_result;
    GR_CHECK(q->state.tag == GLUE_RULES_TYPES_DATA_QUALITY_STATE_FAILED && q->score.val == 0.5);
    GR_CHECK(q->context.is_some && gr_str_eq(&q->context.val.context_type, "GLUE_JOB") &&
             q->context.val.job_name.is_some && !q->context.val.run_id.is_some);
    glue_rules_types_event_free(&event);
  }

  static const char other[] =
      "{\"version\":\"0\",\"id\":\"o\",\"detail-type\":\"Glue Something New\",\"source\":"
      "\"aws.glue\",\"account\":\"\",\"time\":\"\",\"region\":\"\",\"resources\":[],\"detail\":"
      "{\"tag\":\"other\"}}";
  if (GR_CHECK_OK(gr_test_event_from_typed_json((const uint8_t *)other, strlen(other), &event,
                                                &err),
                  err)) {
    GR_CHECK(event.detail.tag == GLUE_RULES_TYPES_DETAIL_OTHER);
    glue_rules_types_event_free(&event);
  }

  // A broken view names the field; nothing leaks from the half-built event.
  static const char broken[] =
      "{\"version\":\"0\",\"id\":\"b\",\"detail-type\":\"d\",\"source\":\"s\",\"account\":\"\","
      "\"time\":\"\",\"region\":\"\",\"resources\":[],\"detail\":{\"tag\":\"job-state-change\","
      "\"val\":{\"job-name\":\"j\",\"job-run-id\":\"r\",\"state\":{\"tag\":\"paused\"}}}}";
  if (GR_CHECK(!gr_test_event_from_typed_json((const uint8_t *)broken, strlen(broken), &event,
                                              &err))) {
    GR_CHECK_STR(&err, "typed event: field `detail.val.state` has a tag this contract does not know");
    rule_string_free(&err);
  }
  static const char missing[] = "{\"version\":\"0\"}";
  if (GR_CHECK(!gr_test_event_from_typed_json((const uint8_t *)missing, strlen(missing), &event,
                                              &err))) {
    GR_CHECK_STR(&err, "typed event: field `id` must be a string");
    rule_string_free(&err);
  }
}

static void the_sample_rule_decides_through_the_stand_in_host(void) {
  rule_string_t err;
  const char *settings[][2] = {{"topic", "arn:aws:sns:us-west-2:123456789012:alerts"},
                               {"loud", "on"}};
  if (!GR_CHECK_OK(gr_test_configure(settings, 2, NULL, &err), err)) return;
  // Before an event, the JSON is "{}" as outside `evaluate`.
  rule_string_t json = gr_event_json();
  GR_CHECK_STR(&json, "{}");
  rule_string_free(&json);
  // The event JSON as the host writes it: compact, keys sorted.
  if (!GR_CHECK_OK(gr_test_set_event_json((const uint8_t *)RAW_FAILED, strlen(RAW_FAILED), &err),
                   err))
    return;
  json = gr_detail_json();
  GR_CHECK_STR(&json,
               "{\"jobName\":\"MyJob\",\"jobRunId\":\"jr_0123\",\"message\":\"boom\",\"severity\":"
               "\"ERROR\",\"state\":\"FAILED\"}");
  rule_string_free(&json);
  json = gr_event_json();
  GR_CHECK(gr_str_starts_with(&json, "{\"account\":\"123456789012\",\"detail\":{\"jobName\""));
  rule_string_free(&json);

  glue_rules_types_event_t event;
  glue_rules_types_decision_t decision;
  if (!GR_CHECK_OK(gr_test_event_from_typed_json((const uint8_t *)TYPED_FAILED,
                                                 strlen(TYPED_FAILED), &event, &err),
                   err))
    return;
  if (!GR_CHECK_OK(exports_glue_rules_handler_evaluate(&event, &decision, &err), err)) return;
  GR_CHECK(decision.matched && decision.actions.len == 1);
  GR_CHECK_STR(&decision.reason.val, "job MyJob FAILED");
  glue_rules_types_sns_publish_t *sns = &decision.actions.ptr[0].val.sns;
  GR_CHECK_STR(&sns->topic_arn, "arn:aws:sns:us-west-2:123456789012:alerts");
  GR_CHECK_STR(&sns->message, "MyJob (run jr_0123) is FAILED: boom");
  GR_CHECK(gr_test_log_count() == 1 && gr_test_logged("LOUD: MyJob"));
  glue_rules_types_log_level_t level;
  GR_CHECK(gr_test_log(0, &level) && level == GLUE_RULES_TYPES_LOG_LEVEL_WARN);
  glue_rules_types_decision_free(&decision);

  // gr_test_load_event reads the typed view from the glue-rules binary ($GLUE_RULES, else on
  // PATH); without one it fails naming both.
  char path[] = "/tmp/glue-rules-sdk-c-test-XXXXXX";
  int fd = mkstemp(path);
  FILE *file = fd >= 0 ? fdopen(fd, "w") : NULL;
  if (!GR_CHECK(file != NULL)) return;
  fputs(RAW_FAILED, file);
  fclose(file);
  const char *binary = getenv("GLUE_RULES");
  char *saved = binary ? strdup(binary) : NULL;
  setenv("GLUE_RULES", "/nonexistent/glue-rules", 1);
  if (GR_CHECK(!gr_test_load_event(path, &event, &err))) {
    GR_CHECK_CONTAINS(&err, "set GLUE_RULES to the glue-rules binary or put glue-rules on PATH");
    rule_string_free(&err);
  }
  // An NDJSON file and an array: the first event becomes the event JSON, as the host reads
  // such files (the event JSON is set before the binary runs).
  static const char *const shapes[] = {"{\"id\":\"one\",\"detail\":{\"n\":1}}\n{\"id\":\"two\"}\n",
                                       "[{\"id\":\"one\",\"detail\":{\"n\":1}}, {\"id\":\"two\"}]"};
  for (size_t i = 0; i < 2; i++) {
    file = fopen(path, "w");
    if (!GR_CHECK(file != NULL)) break;
    fputs(shapes[i], file);
    fclose(file);
    if (GR_CHECK(!gr_test_load_event(path, &event, &err))) rule_string_free(&err);
    json = gr_detail_json();
    GR_CHECK_STR(&json, "{\"n\":1}");
    rule_string_free(&json);
  }
  file = fopen(path, "w");
  if (GR_CHECK(file != NULL)) {
    fputs(RAW_FAILED, file);
    fclose(file);
  }
  if (saved) setenv("GLUE_RULES", saved, 1);
  else unsetenv("GLUE_RULES");
  if (saved && getenv("GLUE_RULES_SDK_TEST_TYPED")) {
    // Only with a glue-rules that has `event --typed` (test.sh checks): the host's own view.
    if (GR_CHECK_OK(gr_test_load_event(path, &event, &err), err)) {
      GR_CHECK_STR(&event.detail.val.job_state_change.job_run_id, "jr_0123");
      GR_CHECK(event.detail.val.job_state_change.state.tag == GLUE_RULES_TYPES_JOB_STATE_FAILED);
      GR_CHECK(event.detail.val.job_state_change.severity.is_some);
      glue_rules_types_event_free(&event);
    }
  }
  free(saved);
  remove(path);
  gr_test_reset();
}

// ------------------------------------------------------------------------------------------
// The sample rule: a required topic, a bool, a list, and a message from a template
// ------------------------------------------------------------------------------------------

bool exports_glue_rules_handler_describe(rule_list_tuple2_string_string_t *settings,
                                         glue_rules_types_metadata_t *ret, rule_string_t *err) {
  rule_string_t topic;
  bool has_topic = gr_settings_get(settings, "topic", &topic);
  bool refused = has_topic && gr_str_eq(&topic, "refuse");
  if (has_topic) rule_string_free(&topic);
  rule_list_tuple2_string_string_free(settings);
  if (refused) {
    *err = gr_string("topic `refuse` is refused");
    return false;
  }
  gr_metadata(ret, "sample", "0.1.0", "A rule for the SDK's tests.", gr_string("{}"));
  gr_metadata_setting(ret, GLUE_RULES_TYPES_SETTING_KIND_STRING, "topic", "The topic.", NULL)
      ->required = true;
  gr_metadata_setting(ret, GLUE_RULES_TYPES_SETTING_KIND_BOOL, "loud", "Log a warning.", "false");
  gr_metadata_setting(ret, GLUE_RULES_TYPES_SETTING_KIND_LIST, "names", "Some names.", NULL);
  return true;
}

bool exports_glue_rules_handler_evaluate(glue_rules_types_event_t *event,
                                         glue_rules_types_decision_t *ret, rule_string_t *err) {
  static const gr_input_path paths[] = {
      {"job", "$.detail.jobName"}, {"run", "$.detail.jobRunId"}, {"state", "$.detail.state"},
      {"message", "$.detail.message"}};
  rule_string_t topic, message, reason;
  bool loud = false, ok = gr_config_require("topic", &topic, err);
  if (ok && !gr_config_bool("loud", false, &loud, err)) {
    rule_string_free(&topic);
    ok = false;
  }
  if (ok && !gr_render_event("<job> (run <run>) is <state>: <message>", paths, 4, NULL, &message,
                             err)) {
    rule_string_free(&topic);
    ok = false;
  }
  if (ok && !gr_render_event("job <job> <state>", paths, 4, NULL, &reason, err)) {
    rule_string_free(&topic);
    rule_string_free(&message);
    ok = false;
  }
  if (ok) {
    if (loud) {
      gr_buf line = GR_BUF_INIT;
      gr_buf_cstr(&line, "LOUD: ");
      gr_buf_str(&line, &event->detail.val.job_state_change.job_name);
      gr_log_buf(GLUE_RULES_TYPES_LOG_LEVEL_WARN, &line);
    }
    gr_matched(ret, gr_sns(topic, gr_string("s"), message), reason);
  }
  glue_rules_types_event_free(event);
  return ok;
}

int main(void) {
  the_guides_examples_render_as_eventbridge_renders_them();
  values_are_quoted_safely_for_json_strings();
  predefined_variables_and_the_whole_event();
  arrays_missing_paths_unknown_names_and_bad_paths();
  paths_limits_and_placement();
  json_errors_name_the_place();
  json_nesting_is_bounded_without_recursion();
  json_access_and_writing();
  strings_trim_and_cut_by_character();
  settings_read_as_the_rust_sdk_reads_them();
  globs_and_their_patterns();
  the_six_actions();
  configure_checks_settings_as_the_host_does();
  typed_events_convert_into_the_binding_structs();
  the_sample_rule_decides_through_the_stand_in_host();
  return gr_test_finish();
}
