// glue_rules_testing.h: a stand-in host for native unit tests of glue-rules C plugins.
//
// On the build machine the component's imports do not exist. This header defines them: the
// four `__wasm_import_glue_rules_host_*` functions that the generated bindings (`rule.c`) call
// for `host.log`, `host.config`, `host.detail-json` and `host.event-json`, written for the
// canonical-ABI return areas of wit-bindgen 0.63's C output (the bindings shipped beside this
// header), over settings, log lines and event JSON a test controls. The rule and the bindings
// are compiled natively, unchanged (`-Wno-unknown-attributes`: the wasm import and export
// attributes mean nothing there), so a test runs the very code the component runs, through
// the same generated wrappers.
//
// The test program includes this header with GLUE_RULES_TESTING_IMPLEMENTATION defined (once);
// the rule's own file keeps GLUE_RULES_IMPLEMENTATION. A test typically:
//
//     const char *settings[][2] = {{"topic-arn", "arn:aws:sns:us-east-1:123456789012:t"}};
//     GR_CHECK(gr_test_configure(settings, 1, NULL, &err));    // describe + the host's checks
//     GR_CHECK(gr_test_load_event("fixtures/job-failed.json", &event, &err));
//     GR_CHECK(exports_glue_rules_handler_evaluate(&event, &decision, &err));
//     GR_CHECK_STR(&decision.reason.val, "job MyJob FAILED");
//     return gr_test_finish();                                 // "N passed, N failed"
//
// Typed events come from the host's own parser: `gr_test_load_event` runs `glue-rules event
// --typed FILE` (the binary named by $GLUE_RULES, else `glue-rules` on PATH) and converts its
// WIT-value JSON into the binding structs with `gr_test_event_from_typed_json`. A test can also
// fill a `glue_rules_types_event_t` by hand, without the binary.
#ifndef GLUE_RULES_TESTING_H
#define GLUE_RULES_TESTING_H

#if defined(__wasm__)
#error "glue_rules_testing.h stands in for the host in native tests; do not build it into the component"
#endif

#include "glue_rules.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Forgets every setting, log line and the event JSON (back to "{}", as outside `evaluate`).
void gr_test_reset(void);
/// Sets setting `key` to `value` as the host would serve it (NULL removes it); no declaration
/// is consulted.
void gr_test_set_config(const char *key, const char *value);
/// Configures the rule as the host does: calls its `describe` with `settings` (`count` pairs
/// of key and value), checks them against the settings it declares (a missing required one or
/// a value not of its kind is an error naming `plugins.NAME.config.KEY`), and serves what the
/// host would (declared defaults filled in, booleans as true/false, lists as JSON arrays).
/// `metadata`, when not NULL, receives what `describe` returned (free it with
/// `glue_rules_types_metadata_free`).
bool gr_test_configure(const char *const settings[][2], size_t count,
                       glue_rules_types_metadata_t *metadata, rule_string_t *err);
/// Makes `text` (an EventBridge event as JSON) the event `host.event-json` and
/// `host.detail-json` answer for, written compact with sorted keys as the host writes it.
bool gr_test_set_event_json(const uint8_t *text, size_t len, rule_string_t *err);
/// How many lines the rule logged since the last reset.
size_t gr_test_log_count(void);
/// Log line `index` (NUL-terminated), and its level in `level` when not NULL.
const char *gr_test_log(size_t index, glue_rules_types_log_level_t *level);
/// Whether a logged line contains `needle`.
bool gr_test_logged(const char *needle);
/// The contents of the file at `path` (malloc'd); false with a sentence naming the file.
bool gr_test_read_file(const char *path, rule_string_t *out, rule_string_t *err);
/// Converts the typed view `glue-rules event --typed` prints (one event's WIT-value JSON:
/// kebab-case fields, `null` for none, `{"tag": ..., "val": ...}` for variants) into the
/// binding struct. Free it with `glue_rules_types_event_free` (or hand it to `evaluate`).
bool gr_test_event_from_typed_json(const uint8_t *text, size_t len,
                                   glue_rules_types_event_t *out, rule_string_t *err);
/// The typed event the host would pass for the (first) event of the file at `path`, from
/// `glue-rules event --typed PATH`, and that file made the event JSON (`gr_test_set_event_json`).
bool gr_test_load_event(const char *path, glue_rules_types_event_t *out, rule_string_t *err);

/// Checks `cond`, printing the failed expression with its place; counts it for
/// `gr_test_finish`. Evaluates to `cond`.
#define GR_CHECK(cond) gr_test_check((cond), #cond, __FILE__, __LINE__)
/// Checks that a `rule_string_t *` holds `expected`, printing both when not.
#define GR_CHECK_STR(actual, expected) \
  gr_test_check_str((actual), (expected), #actual, __FILE__, __LINE__)
/// Checks that a `rule_string_t *` contains `needle`.
#define GR_CHECK_CONTAINS(actual, needle) \
  gr_test_check_contains((actual), (needle), #actual, __FILE__, __LINE__)
/// Checks that a call returned true; prints the `rule_string_t err` it set when not.
#define GR_CHECK_OK(call, err) gr_test_check_ok((call), &(err), #call, __FILE__, __LINE__)

bool gr_test_check(bool ok, const char *what, const char *file, int line);
bool gr_test_check_str(const rule_string_t *actual, const char *expected, const char *what,
                       const char *file, int line);
bool gr_test_check_contains(const rule_string_t *actual, const char *needle, const char *what,
                            const char *file, int line);
bool gr_test_check_ok(bool ok, rule_string_t *err, const char *what, const char *file, int line);
/// Prints "N passed, N failed" and returns the process's exit code (0 when none failed).
int gr_test_finish(void);

#ifdef __cplusplus
}
#endif

#endif  // GLUE_RULES_TESTING_H

#if defined(GLUE_RULES_TESTING_IMPLEMENTATION) && !defined(GLUE_RULES_TESTING_IMPLEMENTATION_DONE)
#define GLUE_RULES_TESTING_IMPLEMENTATION_DONE

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// ------------------------------------------------------------------------------------------
// The stand-in host's state
// ------------------------------------------------------------------------------------------

typedef struct {
  char *key;
  char *value;
} gr__test_pair;

typedef struct {
  glue_rules_types_log_level_t level;
  char *message;
} gr__test_line;

static gr__test_pair *gr__test_config;
static size_t gr__test_config_len;
static gr__test_line *gr__test_logs;
static size_t gr__test_logs_len;
static gr_buf gr__test_event = GR_BUF_INIT;
static gr_buf gr__test_detail = GR_BUF_INIT;
static size_t gr__test_passed, gr__test_failed;

static char *gr__test_strndup(const uint8_t *text, size_t len) {
  char *copy = (char *)malloc(len + 1);
  if (!copy) abort();
  if (len) memcpy(copy, text, len);
  copy[len] = 0;
  return copy;
}

static void gr__test_clear_config(void) {
  for (size_t i = 0; i < gr__test_config_len; i++) {
    free(gr__test_config[i].key);
    free(gr__test_config[i].value);
  }
  free(gr__test_config);
  gr__test_config = NULL;
  gr__test_config_len = 0;
}

void gr_test_reset(void) {
  gr__test_clear_config();
  for (size_t i = 0; i < gr__test_logs_len; i++) free(gr__test_logs[i].message);
  free(gr__test_logs);
  gr__test_logs = NULL;
  gr__test_logs_len = 0;
  gr_buf_free(&gr__test_event);
  gr_buf_free(&gr__test_detail);
}

void gr_test_set_config(const char *key, const char *value) {
  for (size_t i = 0; i < gr__test_config_len; i++) {
    if (strcmp(gr__test_config[i].key, key) != 0) continue;
    free(gr__test_config[i].value);
    if (value) {
      gr__test_config[i].value = gr__test_strndup((const uint8_t *)value, strlen(value));
    } else {
      free(gr__test_config[i].key);
      gr__test_config[i] = gr__test_config[--gr__test_config_len];
    }
    return;
  }
  if (!value) return;
  gr__test_pair *grown = (gr__test_pair *)realloc(
      gr__test_config, (gr__test_config_len + 1) * sizeof(gr__test_pair));
  if (!grown) abort();
  gr__test_config = grown;
  gr__test_config[gr__test_config_len].key = gr__test_strndup((const uint8_t *)key, strlen(key));
  gr__test_config[gr__test_config_len].value =
      gr__test_strndup((const uint8_t *)value, strlen(value));
  gr__test_config_len++;
}

size_t gr_test_log_count(void) { return gr__test_logs_len; }

const char *gr_test_log(size_t index, glue_rules_types_log_level_t *level) {
  if (index >= gr__test_logs_len) return NULL;
  if (level) *level = gr__test_logs[index].level;
  return gr__test_logs[index].message;
}

bool gr_test_logged(const char *needle) {
  for (size_t i = 0; i < gr__test_logs_len; i++) {
    if (strstr(gr__test_logs[i].message, needle)) return true;
  }
  return false;
}

// ------------------------------------------------------------------------------------------
// The host's imports, at the level of the canonical ABI (wit-bindgen 0.63's return areas:
// an option is a tag byte then its payload at pointer alignment; a string is pointer then
// length). Strings handed back are malloc'd: the generated wrappers give them to the rule,
// which frees them.
// ------------------------------------------------------------------------------------------

// Writes the string `text` (copied) as a (pointer, length) pair at `at`.
static void gr__test_lower_string(uint8_t *at, const uint8_t *text, size_t len) {
  uint8_t *copy = NULL;
  if (len > 0) {
    copy = (uint8_t *)malloc(len);
    if (!copy) abort();
    memcpy(copy, text, len);
  }
  memcpy(at, &copy, sizeof copy);
  memcpy(at + sizeof(void *), &len, sizeof len);
}

void __wasm_import_glue_rules_host_log(int32_t level, uint8_t *message, size_t len);
void __wasm_import_glue_rules_host_log(int32_t level, uint8_t *message, size_t len) {
  gr__test_line *grown =
      (gr__test_line *)realloc(gr__test_logs, (gr__test_logs_len + 1) * sizeof(gr__test_line));
  if (!grown) abort();
  gr__test_logs = grown;
  gr__test_logs[gr__test_logs_len].level = (glue_rules_types_log_level_t)level;
  gr__test_logs[gr__test_logs_len].message = gr__test_strndup(message, len);
  gr__test_logs_len++;
}

void __wasm_import_glue_rules_host_config(uint8_t *key, size_t len, uint8_t *ret);
void __wasm_import_glue_rules_host_config(uint8_t *key, size_t len, uint8_t *ret) {
  for (size_t i = 0; i < gr__test_config_len; i++) {
    const char *name = gr__test_config[i].key;
    if (strlen(name) == len && memcmp(name, key, len) == 0) {
      ret[0] = 1;
      const char *value = gr__test_config[i].value;
      gr__test_lower_string(ret + sizeof(void *), (const uint8_t *)value, strlen(value));
      return;
    }
  }
  ret[0] = 0;
}

void __wasm_import_glue_rules_host_detail_json(uint8_t *ret);
void __wasm_import_glue_rules_host_detail_json(uint8_t *ret) {
  if (gr__test_detail.len == 0) gr__test_lower_string(ret, (const uint8_t *)"{}", 2);
  else gr__test_lower_string(ret, gr__test_detail.ptr, gr__test_detail.len);
}

void __wasm_import_glue_rules_host_event_json(uint8_t *ret);
void __wasm_import_glue_rules_host_event_json(uint8_t *ret) {
  if (gr__test_event.len == 0) gr__test_lower_string(ret, (const uint8_t *)"{}", 2);
  else gr__test_lower_string(ret, gr__test_event.ptr, gr__test_event.len);
}

// ------------------------------------------------------------------------------------------
// Event JSON as the host writes it: serde_json's compact text with object keys sorted (its
// map is ordered by key; a repeated key keeps its last value)
// ------------------------------------------------------------------------------------------

typedef struct {
  gr_buf key;  // decoded, for sorting
  gr_json key_token;
  gr_json value;
  size_t index;
} gr__test_member;

static int gr__test_member_cmp(const void *a, const void *b) {
  const gr__test_member *x = (const gr__test_member *)a, *y = (const gr__test_member *)b;
  size_t n = x->key.len < y->key.len ? x->key.len : y->key.len;
  int c = n ? memcmp(x->key.ptr, y->key.ptr, n) : 0;
  if (c != 0) return c;
  if (x->key.len != y->key.len) return x->key.len < y->key.len ? -1 : 1;
  return x->index < y->index ? -1 : (x->index > y->index);
}

// Writes `value` canonically; recursion is bounded by the depth gr_json_parse allows.
static void gr__test_canonical(gr_buf *out, gr_json value) {
  gr_json_kind kind = gr_json_type(value);
  if (kind == GR_JSON_ARRAY) {
    gr_json_iter it = gr_json_iterate(value);
    gr_json item;
    bool first = true;
    gr_buf_cstr(out, "[");
    while (gr_json_next(&it, NULL, &item)) {
      if (!first) gr_buf_cstr(out, ",");
      first = false;
      gr__test_canonical(out, item);
    }
    gr_buf_cstr(out, "]");
  } else if (kind == GR_JSON_OBJECT) {
    gr_json_iter it = gr_json_iterate(value);
    gr_json key, member;
    size_t count = 0;
    while (gr_json_next(&it, &key, &member)) count++;
    gr__test_member *members = (gr__test_member *)calloc(count ? count : 1, sizeof *members);
    if (!members) abort();
    it = gr_json_iterate(value);
    for (size_t i = 0; i < count && gr_json_next(&it, &key, &member); i++) {
      gr_json_string(key, &members[i].key);
      members[i].key_token = key;
      members[i].value = member;
      members[i].index = i;
    }
    qsort(members, count, sizeof *members, gr__test_member_cmp);
    bool first = true;
    gr_buf_cstr(out, "{");
    for (size_t i = 0; i < count; i++) {
      bool repeated = i + 1 < count && members[i].key.len == members[i + 1].key.len &&
                      (members[i].key.len == 0 ||
                       memcmp(members[i].key.ptr, members[i + 1].key.ptr, members[i].key.len) == 0);
      if (repeated) continue;  // the last of equal keys wins
      if (!first) gr_buf_cstr(out, ",");
      first = false;
      gr_json_write(out, members[i].key_token);
      gr_buf_cstr(out, ":");
      gr__test_canonical(out, members[i].value);
    }
    gr_buf_cstr(out, "}");
    for (size_t i = 0; i < count; i++) gr_buf_free(&members[i].key);
    free(members);
  } else {
    gr_json_write(out, value);
  }
}

bool gr_test_set_event_json(const uint8_t *text, size_t len, rule_string_t *err) {
  gr_json event, detail;
  if (!gr_json_parse(text, len, &event, err)) return false;
  gr_buf_free(&gr__test_event);
  gr_buf_free(&gr__test_detail);
  gr__test_canonical(&gr__test_event, event);
  if (gr_json_get(event, "detail", &detail)) gr__test_canonical(&gr__test_detail, detail);
  return true;
}

// ------------------------------------------------------------------------------------------
// Configuring a rule as the host does
// ------------------------------------------------------------------------------------------

// Sets `err` to "plugins.NAME.config.KEY <text>", with `value` in Rust's `{:?}` quoting when
// not NULL.
static void gr__test_setting_error(const rule_string_t *plugin, const rule_string_t *key,
                                   const char *text, const char *value, rule_string_t *err) {
  gr_buf why = GR_BUF_INIT;
  gr_buf_cstr(&why, "plugins.");
  gr_buf_str(&why, plugin);
  gr_buf_cstr(&why, ".config.");
  gr_buf_str(&why, key);
  gr_buf_cstr(&why, " ");
  gr_buf_cstr(&why, text);
  if (value) {
    gr_buf_cstr(&why, "\"");
    for (const char *c = value; *c; c++) {
      if (*c == '"' || *c == '\\') gr_buf_cstr(&why, "\\");
      gr_buf_push(&why, (const uint8_t *)c, 1);
    }
    gr_buf_cstr(&why, "\"");
  }
  *err = gr_buf_take(&why);
}

// `value` as the host serves a setting of `kind` (malloc'd), or NULL when it is not of it: read
// with the SDK's own setting parsers, over a one-pair settings list.
static char *gr__test_normalise(glue_rules_types_setting_kind_t kind, const char *value) {
  rule_tuple2_string_string_t pair = {{(uint8_t *)"v", 1}, {(uint8_t *)value, strlen(value)}};
  rule_list_tuple2_string_string_t one = {&pair, 1};
  rule_string_t trimmed = gr_trim(pair.f1), ignored;
  bool ok = true;
  char *served = NULL;
  if (kind == GLUE_RULES_TYPES_SETTING_KIND_STRING) {
    served = gr__test_strndup(pair.f1.ptr, pair.f1.len);
  } else if (kind == GLUE_RULES_TYPES_SETTING_KIND_BOOL) {
    bool flag = false;
    ok = gr_settings_bool(&one, "v", false, &flag, &ignored);
    if (ok) served = gr__test_strndup((const uint8_t *)(flag ? "true" : "false"), flag ? 4 : 5);
  } else if (kind == GLUE_RULES_TYPES_SETTING_KIND_NUMBER) {
    double number = 0;
    ok = gr_settings_number(&one, "v", 0, &number, &ignored);
    bool finite = ok && number == number && number - number == 0;  // not NaN nor infinite
    if (finite) served = gr__test_strndup(trimmed.ptr, trimmed.len);
  } else {
    rule_list_string_t items;
    ok = gr_settings_list(&one, "v", &items, &ignored);
    if (ok) {
      gr_buf json = GR_BUF_INIT;
      gr_buf_cstr(&json, "[");
      for (size_t i = 0; i < items.len; i++) {
        if (i) gr_buf_cstr(&json, ",");
        gr_buf_cstr(&json, "\"");
        gr_json_escape(&json, items.ptr[i].ptr, items.ptr[i].len);
        gr_buf_cstr(&json, "\"");
      }
      gr_buf_cstr(&json, "]");
      rule_list_string_free(&items);
      served = gr__test_strndup(json.ptr, json.len);
      gr_buf_free(&json);
    }
  }
  if (!ok) rule_string_free(&ignored);
  return served;
}

bool gr_test_configure(const char *const settings[][2], size_t count,
                       glue_rules_types_metadata_t *metadata, rule_string_t *err) {
  static const char *const kinds[] = {"must be true or false, not ", "must be a number, not ",
                                      "must be a list of strings, not "};
  rule_list_tuple2_string_string_t given = {NULL, 0};
  if (count > 0) {
    given.ptr = (rule_tuple2_string_string_t *)calloc(count, sizeof *given.ptr);
    if (!given.ptr) abort();
    given.len = count;
    for (size_t i = 0; i < count; i++) {
      given.ptr[i].f0 = gr_string(settings[i][0]);
      given.ptr[i].f1 = gr_string(settings[i][1]);
    }
  }
  glue_rules_types_metadata_t described;
  if (!exports_glue_rules_handler_describe(&given, &described, err)) return false;
  gr__test_clear_config();
  bool ok = true;
  for (size_t s = 0; ok && s < described.settings.len; s++) {
    const glue_rules_types_setting_t *setting = &described.settings.ptr[s];
    const char *value = NULL;
    for (size_t i = count; i > 0 && !value; i--) {
      rule_string_t configured = {(uint8_t *)settings[i - 1][1], strlen(settings[i - 1][1])};
      if (gr_str_eq(&setting->name, settings[i - 1][0]) && gr_trim(configured).len > 0)
        value = settings[i - 1][1];
    }
    char *fallback = NULL;
    if (!value && setting->default_value.is_some) {
      fallback = gr__test_strndup(setting->default_value.val.ptr, setting->default_value.val.len);
      value = fallback;
    }
    char *key = gr__test_strndup(setting->name.ptr, setting->name.len);
    if (value) {
      char *served = gr__test_normalise(setting->kind, value);
      if (served) {
        gr_test_set_config(key, served);
        free(served);
      } else {
        gr__test_setting_error(&described.name, &setting->name, kinds[setting->kind - 1], value,
                               err);
        ok = false;
      }
    } else if (setting->required) {
      gr__test_setting_error(&described.name, &setting->name, "is required but not set", NULL,
                             err);
      ok = false;
    }
    free(key);
    free(fallback);
  }
  // Keys the rule does not declare are served as configured.
  for (size_t i = 0; ok && i < count; i++) {
    bool declared = false;
    for (size_t s = 0; s < described.settings.len && !declared; s++)
      declared = gr_str_eq(&described.settings.ptr[s].name, settings[i][0]);
    if (!declared) gr_test_set_config(settings[i][0], settings[i][1]);
  }
  if (ok && metadata) *metadata = described;
  else glue_rules_types_metadata_free(&described);
  if (!ok) gr__test_clear_config();
  return ok;
}

// ------------------------------------------------------------------------------------------
// Typed events: the WIT-value JSON of `glue-rules event --typed` into the binding structs
// ------------------------------------------------------------------------------------------

// Sets `err` to "typed event: field `PATH.NAME` <problem>".
static bool gr__typed_error(const char *path, const char *name, const char *problem,
                            rule_string_t *err) {
  gr_buf why = GR_BUF_INIT;
  gr_buf_cstr(&why, "typed event: field `");
  gr_buf_cstr(&why, path);
  if (*path && *name) gr_buf_cstr(&why, ".");
  gr_buf_cstr(&why, name);
  gr_buf_cstr(&why, "` ");
  gr_buf_cstr(&why, problem);
  *err = gr_buf_take(&why);
  return false;
}

static bool gr__typed_string(gr_json object, const char *path, const char *name,
                             rule_string_t *out, rule_string_t *err) {
  gr_json value;
  gr_buf text = GR_BUF_INIT;
  if (!gr_json_get(object, name, &value) || !gr_json_string(value, &text))
    return gr__typed_error(path, name, "must be a string", err);
  *out = gr_buf_take(&text);
  return true;
}

// An optional field: absent or null is none.
static bool gr__typed_present(gr_json object, const char *name, gr_json *value) {
  return gr_json_get(object, name, value) && gr_json_type(*value) != GR_JSON_NULL;
}

static bool gr__typed_opt_string(gr_json object, const char *path, const char *name,
                                 rule_option_string_t *out, rule_string_t *err) {
  gr_json value;
  out->is_some = false;
  if (!gr__typed_present(object, name, &value)) return true;
  gr_buf text = GR_BUF_INIT;
  if (!gr_json_string(value, &text))
    return gr__typed_error(path, name, "must be a string or null", err);
  out->val = gr_buf_take(&text);
  out->is_some = true;
  return true;
}

// A number field as a double, and whether it is a non-negative integer up to `max`.
static bool gr__typed_number(gr_json object, const char *path, const char *name, double *out,
                             bool *present, rule_string_t *err) {
  gr_json value;
  *present = gr__typed_present(object, name, &value);
  if (!*present) return true;
  if (gr_json_type(value) != GR_JSON_NUMBER)
    return gr__typed_error(path, name, "must be a number or null", err);
  char *text = gr__test_strndup(value.ptr, value.len);
  *out = strtod(text, NULL);
  free(text);
  return true;
}

static bool gr__typed_opt_u64(gr_json object, const char *path, const char *name,
                              rule_option_u64_t *out, rule_string_t *err) {
  gr_json value;
  out->is_some = false;
  if (!gr__typed_present(object, name, &value)) return true;
  uint64_t n = 0;
  bool ok = gr_json_type(value) == GR_JSON_NUMBER && value.len > 0 && value.len <= 20;
  for (size_t i = 0; ok && i < value.len; i++) {
    uint8_t d = value.ptr[i];
    ok = d >= '0' && d <= '9' && n <= (UINT64_MAX - (d - '0')) / 10;
    if (ok) n = n * 10 + (d - '0');
  }
  if (!ok) return gr__typed_error(path, name, "must be an unsigned integer or null", err);
  out->is_some = true;
  out->val = n;
  return true;
}

static bool gr__typed_opt_u32(gr_json object, const char *path, const char *name,
                              rule_option_u32_t *out, rule_string_t *err) {
  rule_option_u64_t wide;
  out->is_some = false;
  if (!gr__typed_opt_u64(object, path, name, &wide, err)) return false;
  if (wide.is_some && wide.val > UINT32_MAX)
    return gr__typed_error(path, name, "must be a u32 or null", err);
  out->is_some = wide.is_some;
  out->val = (uint32_t)wide.val;
  return true;
}

static bool gr__typed_opt_f64(gr_json object, const char *path, const char *name,
                              rule_option_f64_t *out, rule_string_t *err) {
  bool present;
  out->is_some = false;
  if (!gr__typed_number(object, path, name, &out->val, &present, err)) return false;
  out->is_some = present;
  return true;
}

static bool gr__typed_strings(gr_json object, const char *path, const char *name,
                              rule_list_string_t *out, rule_string_t *err) {
  gr_json value, item;
  out->ptr = NULL;
  out->len = 0;
  if (!gr_json_get(object, name, &value) || gr_json_type(value) != GR_JSON_ARRAY)
    return gr__typed_error(path, name, "must be an array of strings", err);
  gr_json_iter it = gr_json_iterate(value);
  while (gr_json_next(&it, NULL, &item)) {
    gr_buf text = GR_BUF_INIT;
    if (!gr_json_string(item, &text)) {
      rule_list_string_free(out);
      return gr__typed_error(path, name, "must be an array of strings", err);
    }
    gr_string_list_push(out, gr_buf_take(&text));
  }
  return true;
}

// A variant `{"tag": T, "val": V}` at `object.name` (or `object` itself when `name` is ""):
// the index of T among `tags` and V (null when absent).
static bool gr__typed_variant(gr_json object, const char *path, const char *name,
                              const char *const *tags, size_t count, uint8_t *tag,
                              gr_json *payload, rule_string_t *err) {
  static const uint8_t null_text[] = "null";
  gr_json value = object, tag_value;
  if (*name && !gr_json_get(object, name, &value))
    return gr__typed_error(path, name, "is missing", err);
  if (!gr_json_get(value, "tag", &tag_value))
    return gr__typed_error(path, name, "must be a variant {\"tag\": ...}", err);
  for (size_t i = 0; i < count; i++) {
    if (gr_json_string_eq(tag_value, (const uint8_t *)tags[i], strlen(tags[i]))) {
      *tag = (uint8_t)i;
      if (!gr_json_get(value, "val", payload)) {
        payload->ptr = null_text;
        payload->len = 4;
      }
      return true;
    }
  }
  return gr__typed_error(path, name, "has a tag this contract does not know", err);
}

// An enum-like variant whose last case is `other(string)` (job-state, severity, ...): its tag
// into `*tag` and the other case's text into `*other`.
static bool gr__typed_with_other(gr_json object, const char *path, const char *name,
                                 const char *const *tags, size_t count, uint8_t *tag,
                                 rule_string_t *other, rule_string_t *err) {
  gr_json payload;
  uint8_t found;
  if (!gr__typed_variant(object, path, name, tags, count, &found, &payload, err)) return false;
  if (found == count - 1) {
    gr_buf text = GR_BUF_INIT;
    if (!gr_json_string(payload, &text))
      return gr__typed_error(path, name, "is `other` without its text", err);
    *other = gr_buf_take(&text);
  }
  *tag = found;
  return true;
}

static const char *const gr__job_states[] = {"starting", "running", "stopping", "stopped",
                                             "succeeded", "failed", "timeout", "error",
                                             "waiting", "expired", "other"};
static const char *const gr__severities[] = {"info", "warn", "error", "other"};

static bool gr__typed_job_state(gr_json object, const char *path,
                                glue_rules_types_job_state_t *out, rule_string_t *err) {
  return gr__typed_with_other(object, path, "state", gr__job_states, 11, &out->tag,
                              &out->val.other, err);
}

static bool gr__typed_severity(gr_json object, const char *path,
                               glue_rules_types_option_severity_t *out, rule_string_t *err) {
  gr_json value;
  out->is_some = false;
  if (!gr__typed_present(object, "severity", &value)) return true;
  (void)path;
  if (!gr__typed_with_other(value, "detail.val.severity", "", gr__severities, 4, &out->val.tag,
                            &out->val.val.other, err))
    return false;
  out->is_some = true;
  return true;
}

static bool gr__typed_job_state_change(gr_json v, glue_rules_types_job_state_change_t *out,
                                       rule_string_t *err) {
  const char *p = "detail.val";
  memset(out, 0, sizeof *out);
  bool ok = gr__typed_string(v, p, "job-name", &out->job_name, err) &&
            gr__typed_string(v, p, "job-run-id", &out->job_run_id, err) &&
            gr__typed_job_state(v, p, &out->state, err) && gr__typed_severity(v, p, &out->severity, err) &&
            gr__typed_opt_string(v, p, "message", &out->message, err);
  if (!ok) glue_rules_types_job_state_change_free(out);
  return ok;
}

static bool gr__typed_job_run_status(gr_json v, glue_rules_types_job_run_status_t *out,
                                     rule_string_t *err) {
  const char *p = "detail.val";
  memset(out, 0, sizeof *out);
  bool ok = gr__typed_string(v, p, "job-name", &out->job_name, err) &&
            gr__typed_string(v, p, "job-run-id", &out->job_run_id, err) &&
            gr__typed_job_state(v, p, &out->state, err) && gr__typed_severity(v, p, &out->severity, err) &&
            gr__typed_opt_string(v, p, "message", &out->message, err) &&
            gr__typed_opt_f64(v, p, "notify-delay-after", &out->notify_delay_after, err) &&
            gr__typed_opt_string(v, p, "started-on", &out->started_on, err);
  if (!ok) glue_rules_types_job_run_status_free(out);
  return ok;
}

static bool gr__typed_crawler_state_change(gr_json v, glue_rules_types_crawler_state_change_t *out,
                                           rule_string_t *err) {
  static const char *const states[] = {"started", "succeeded", "failed", "other"};
  const char *p = "detail.val";
  memset(out, 0, sizeof *out);
  bool ok = gr__typed_string(v, p, "crawler-name", &out->crawler_name, err) &&
            gr__typed_with_other(v, p, "state", states, 4, &out->state.tag,
                                 &out->state.val.other, err) &&
            gr__typed_opt_string(v, p, "message", &out->message, err) &&
            gr__typed_opt_string(v, p, "account-id", &out->account_id, err) &&
            gr__typed_opt_string(v, p, "start-time", &out->start_time, err) &&
            gr__typed_opt_string(v, p, "completion-date", &out->completion_date, err) &&
            gr__typed_opt_string(v, p, "error-message", &out->error_message, err) &&
            gr__typed_opt_string(v, p, "warning-message", &out->warning_message, err) &&
            gr__typed_opt_string(v, p, "cloud-watch-log-link", &out->cloud_watch_log_link, err) &&
            gr__typed_opt_u64(v, p, "tables-created", &out->tables_created, err) &&
            gr__typed_opt_u64(v, p, "tables-updated", &out->tables_updated, err) &&
            gr__typed_opt_u64(v, p, "tables-deleted", &out->tables_deleted, err) &&
            gr__typed_opt_u64(v, p, "partitions-created", &out->partitions_created, err) &&
            gr__typed_opt_u64(v, p, "partitions-updated", &out->partitions_updated, err) &&
            gr__typed_opt_u64(v, p, "partitions-deleted", &out->partitions_deleted, err) &&
            gr__typed_opt_f64(v, p, "running-time-sec", &out->running_time_sec, err);
  if (!ok) glue_rules_types_crawler_state_change_free(out);
  return ok;
}

static const char *const gr__types_of_change[] = {
    "create-database",        "update-database",  "delete-database",
    "create-table",           "update-table",     "delete-table",
    "batch-delete-table",     "create-partition", "batch-create-partition",
    "update-partition",       "batch-update-partition", "delete-partition",
    "batch-delete-partition", "other"};

static bool gr__typed_database_state_change(gr_json v,
                                            glue_rules_types_database_state_change_t *out,
                                            rule_string_t *err) {
  const char *p = "detail.val";
  memset(out, 0, sizeof *out);
  bool ok = gr__typed_string(v, p, "database-name", &out->database_name, err) &&
            gr__typed_with_other(v, p, "type-of-change", gr__types_of_change, 14,
                                 &out->type_of_change.tag, &out->type_of_change.val.other, err) &&
            gr__typed_strings(v, p, "changed-tables", &out->changed_tables, err);
  if (!ok) glue_rules_types_database_state_change_free(out);
  return ok;
}

static bool gr__typed_table_state_change(gr_json v, glue_rules_types_table_state_change_t *out,
                                         rule_string_t *err) {
  const char *p = "detail.val";
  memset(out, 0, sizeof *out);
  bool ok = gr__typed_string(v, p, "database-name", &out->database_name, err) &&
            gr__typed_string(v, p, "table-name", &out->table_name, err) &&
            gr__typed_with_other(v, p, "type-of-change", gr__types_of_change, 14,
                                 &out->type_of_change.tag, &out->type_of_change.val.other, err) &&
            gr__typed_strings(v, p, "changed-partitions", &out->changed_partitions, err);
  if (!ok) glue_rules_types_table_state_change_free(out);
  return ok;
}

static bool gr__typed_data_quality_result(gr_json v, glue_rules_types_data_quality_result_t *out,
                                          rule_string_t *err) {
  static const char *const states[] = {"succeeded", "failed", "other"};
  const char *p = "detail.val";
  gr_json context;
  memset(out, 0, sizeof *out);
  bool ok = gr__typed_string(v, p, "result-id", &out->result_id, err) &&
            gr__typed_strings(v, p, "ruleset-names", &out->ruleset_names, err) &&
            gr__typed_with_other(v, p, "state", states, 3, &out->state.tag,
                                 &out->state.val.other, err) &&
            gr__typed_opt_f64(v, p, "score", &out->score, err) &&
            gr__typed_opt_u32(v, p, "rules-succeeded", &out->rules_succeeded, err) &&
            gr__typed_opt_u32(v, p, "rules-failed", &out->rules_failed, err) &&
            gr__typed_opt_u32(v, p, "rules-skipped", &out->rules_skipped, err);
  if (ok && gr__typed_present(v, "context", &context)) {
    glue_rules_types_data_quality_context_t *c = &out->context.val;
    const char *q = "detail.val.context";
    ok = gr__typed_string(context, q, "context-type", &c->context_type, err) &&
         gr__typed_opt_string(context, q, "run-id", &c->run_id, err) &&
         gr__typed_opt_string(context, q, "database-name", &c->database_name, err) &&
         gr__typed_opt_string(context, q, "table-name", &c->table_name, err) &&
         gr__typed_opt_string(context, q, "catalog-id", &c->catalog_id, err) &&
         gr__typed_opt_string(context, q, "job-name", &c->job_name, err) &&
         gr__typed_opt_string(context, q, "job-id", &c->job_id, err);
    out->context.is_some = true;  // freed field by field: unset ones are empty
  }
  if (!ok) glue_rules_types_data_quality_result_free(out);
  return ok;
}

bool gr_test_event_from_typed_json(const uint8_t *text, size_t len,
                                   glue_rules_types_event_t *out, rule_string_t *err) {
  static const char *const details[] = {"job-state-change",      "job-run-status",
                                        "crawler-state-change",  "database-state-change",
                                        "table-state-change",    "data-quality-result",
                                        "other"};
  gr_json event, payload;
  rule_string_t why;
  if (!gr_json_parse(text, len, &event, &why)) {
    gr_buf message = GR_BUF_INIT;
    gr_buf_cstr(&message, "typed event: not JSON: ");
    gr_buf_str(&message, &why);
    rule_string_free(&why);
    *err = gr_buf_take(&message);
    return false;
  }
  memset(out, 0, sizeof *out);
  out->detail.tag = GLUE_RULES_TYPES_DETAIL_OTHER;
  uint8_t tag = 0;
  bool ok = gr__typed_string(event, "", "version", &out->version, err) &&
            gr__typed_string(event, "", "id", &out->id, err) &&
            gr__typed_string(event, "", "detail-type", &out->detail_type, err) &&
            gr__typed_string(event, "", "source", &out->source, err) &&
            gr__typed_string(event, "", "account", &out->account, err) &&
            gr__typed_string(event, "", "time", &out->time, err) &&
            gr__typed_string(event, "", "region", &out->region, err) &&
            gr__typed_strings(event, "", "resources", &out->resources, err) &&
            gr__typed_variant(event, "", "detail", details, 7, &tag, &payload, err);
  if (ok) {
    glue_rules_types_detail_t *d = &out->detail;
    switch (tag) {
      case GLUE_RULES_TYPES_DETAIL_JOB_STATE_CHANGE:
        ok = gr__typed_job_state_change(payload, &d->val.job_state_change, err);
        break;
      case GLUE_RULES_TYPES_DETAIL_JOB_RUN_STATUS:
        ok = gr__typed_job_run_status(payload, &d->val.job_run_status, err);
        break;
      case GLUE_RULES_TYPES_DETAIL_CRAWLER_STATE_CHANGE:
        ok = gr__typed_crawler_state_change(payload, &d->val.crawler_state_change, err);
        break;
      case GLUE_RULES_TYPES_DETAIL_DATABASE_STATE_CHANGE:
        ok = gr__typed_database_state_change(payload, &d->val.database_state_change, err);
        break;
      case GLUE_RULES_TYPES_DETAIL_TABLE_STATE_CHANGE:
        ok = gr__typed_table_state_change(payload, &d->val.table_state_change, err);
        break;
      case GLUE_RULES_TYPES_DETAIL_DATA_QUALITY_RESULT:
        ok = gr__typed_data_quality_result(payload, &d->val.data_quality_result, err);
        break;
      default: break;
    }
    if (ok) d->tag = tag;  // set last: a failed payload is freed by its builder
  }
  if (!ok) glue_rules_types_event_free(out);
  return ok;
}

// ------------------------------------------------------------------------------------------
// Files and the glue-rules binary
// ------------------------------------------------------------------------------------------

bool gr_test_read_file(const char *path, rule_string_t *out, rule_string_t *err) {
  FILE *file = fopen(path, "rb");
  gr_buf text = GR_BUF_INIT;
  if (file) {
    uint8_t chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, file)) > 0) gr_buf_push(&text, chunk, n);
    bool failed = ferror(file) != 0;
    fclose(file);
    if (!failed) {
      *out = gr_buf_take(&text);
      return true;
    }
  }
  gr_buf_free(&text);
  gr_buf why = GR_BUF_INIT;
  gr_buf_cstr(&why, path);
  gr_buf_cstr(&why, ": cannot read the file");
  *err = gr_buf_take(&why);
  return false;
}

// Appends `text` in single quotes for a POSIX shell.
static void gr__test_shell_quote(gr_buf *command, const char *text) {
  gr_buf_cstr(command, "'");
  for (const char *c = text; *c; c++) {
    if (*c == '\'') gr_buf_cstr(command, "'\\''");
    else gr_buf_push(command, (const uint8_t *)c, 1);
  }
  gr_buf_cstr(command, "'");
}

bool gr_test_load_event(const char *path, glue_rules_types_event_t *out, rule_string_t *err) {
  rule_string_t text;
  if (!gr_test_read_file(path, &text, err)) return false;
  // The first event of the file, as `glue-rules event` reads files: one event, a JSON array of
  // events, or NDJSON (one event a line).
  gr_json whole, first;
  rule_string_t why;
  const uint8_t *start = text.ptr;
  size_t len = text.len;
  if (gr_json_parse(text.ptr, text.len, &whole, &why)) {
    if (gr_json_type(whole) == GR_JSON_ARRAY && gr_json_at(whole, 0, &first)) {
      start = first.ptr;
      len = first.len;
    }
  } else {
    rule_string_free(&why);
    const uint8_t *newline = len ? (const uint8_t *)memchr(start, '\n', len) : NULL;
    if (newline) len = (size_t)(newline - start);
  }
  bool ok = gr_test_set_event_json(start, len, &why);
  rule_string_free(&text);
  if (!ok) {
    gr_buf message = GR_BUF_INIT;
    gr_buf_cstr(&message, path);
    gr_buf_cstr(&message, ": not JSON: ");
    gr_buf_str(&message, &why);
    rule_string_free(&why);
    *err = gr_buf_take(&message);
    return false;
  }
  const char *binary = getenv("GLUE_RULES");
  bool from_env = binary && *binary;
  if (!from_env) binary = "glue-rules";
  gr_buf command = GR_BUF_INIT;
  gr__test_shell_quote(&command, binary);
  gr_buf_cstr(&command, " event --typed ");
  gr__test_shell_quote(&command, path);
  gr_buf_push(&command, (const uint8_t *)"", 1);
  FILE *pipe = popen((const char *)command.ptr, "r");
  gr_buf_free(&command);
  gr_buf line = GR_BUF_INIT;
  int status = -1;
  if (pipe) {
    int c;
    while ((c = fgetc(pipe)) != EOF && c != '\n') {
      uint8_t byte = (uint8_t)c;
      gr_buf_push(&line, &byte, 1);
    }
    while (c != EOF) c = fgetc(pipe);  // the other events of the file, unused
    status = pclose(pipe);
  }
  if (status != 0 || line.len == 0) {
    gr_buf_free(&line);
    gr_buf message = GR_BUF_INIT;
    gr_buf_cstr(&message, "`");
    gr_buf_cstr(&message, binary);
    gr_buf_cstr(&message, " event --typed ");
    gr_buf_cstr(&message, path);
    gr_buf_cstr(&message, "` failed (the typed event comes from the host's own parser): set "
                          "GLUE_RULES to the glue-rules binary or put glue-rules on PATH");
    if (from_env) gr_buf_cstr(&message, " (GLUE_RULES is set)");
    *err = gr_buf_take(&message);
    return false;
  }
  ok = gr_test_event_from_typed_json(line.ptr, line.len, out, err);
  gr_buf_free(&line);
  return ok;
}

// ------------------------------------------------------------------------------------------
// Checks
// ------------------------------------------------------------------------------------------

bool gr_test_check(bool ok, const char *what, const char *file, int line) {
  if (ok) {
    gr__test_passed++;
  } else {
    gr__test_failed++;
    fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
  }
  return ok;
}

bool gr_test_check_str(const rule_string_t *actual, const char *expected, const char *what,
                       const char *file, int line) {
  bool ok = gr_str_eq(actual, expected);
  if (!ok) {
    fprintf(stderr, "%s:%d: %s is \"%.*s\", expected \"%s\"\n", file, line, what,
            (int)actual->len, actual->ptr ? (const char *)actual->ptr : "", expected);
  }
  return gr_test_check(ok, what, file, line);
}

bool gr_test_check_contains(const rule_string_t *actual, const char *needle, const char *what,
                            const char *file, int line) {
  bool ok = gr_str_contains(actual, needle);
  if (!ok) {
    fprintf(stderr, "%s:%d: %s is \"%.*s\", which lacks \"%s\"\n", file, line, what,
            (int)actual->len, actual->ptr ? (const char *)actual->ptr : "", needle);
  }
  return gr_test_check(ok, what, file, line);
}

bool gr_test_check_ok(bool ok, rule_string_t *err, const char *what, const char *file, int line) {
  if (!ok) {
    fprintf(stderr, "%s:%d: %s failed: %.*s\n", file, line, what, (int)err->len,
            err->ptr ? (const char *)err->ptr : "");
    rule_string_free(err);
  }
  return gr_test_check(ok, what, file, line);
}

int gr_test_finish(void) {
  printf("%zu passed, %zu failed\n", gr__test_passed, gr__test_failed);
  return gr__test_failed == 0 ? 0 : 1;
}

#endif  // GLUE_RULES_TESTING_IMPLEMENTATION
