// glue_rules.c: the C plugin helpers declared in glue_rules.h.
#include "glue_rules.h"

#include <stdlib.h>
#include <string.h>

// ------------------------------------------------------------------------------------------
// UTF-8 and Rust's notion of white space and control characters
// ------------------------------------------------------------------------------------------

// Decodes the code point at `p` (the host only sends valid UTF-8) and returns its length.
static size_t utf8_decode(const uint8_t *p, size_t len, uint32_t *cp) {
  uint8_t b = p[0];
  if (b < 0x80 || len < 2) {
    *cp = b;
    return 1;
  }
  if ((b & 0xE0) == 0xC0) {
    *cp = ((uint32_t)(b & 0x1F) << 6) | (p[1] & 0x3F);
    return 2;
  }
  if ((b & 0xF0) == 0xE0 && len >= 3) {
    *cp = ((uint32_t)(b & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) | (p[2] & 0x3F);
    return 3;
  }
  if (len >= 4) {
    *cp = ((uint32_t)(b & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
          ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
    return 4;
  }
  *cp = b;
  return 1;
}

// Rust's `char::is_whitespace` (the Unicode White_Space property).
static bool is_whitespace(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

// Rust's `char::is_control` (general category Cc).
static bool is_control(uint32_t cp) { return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F); }

// The start of the code point that ends at `end` (exclusive).
static size_t utf8_back(const uint8_t *p, size_t end) {
  size_t i = end - 1;
  while (i > 0 && (p[i] & 0xC0) == 0x80) i--;
  return i;
}

static rule_string_t trim_end(rule_string_t text) {
  while (text.len > 0) {
    size_t start = utf8_back(text.ptr, text.len);
    uint32_t cp;
    utf8_decode(text.ptr + start, text.len - start, &cp);
    if (!is_whitespace(cp)) break;
    text.len = start;
  }
  return text;
}

rule_string_t gr_trim(rule_string_t text) {
  while (text.len > 0) {
    uint32_t cp;
    size_t n = utf8_decode(text.ptr, text.len, &cp);
    if (!is_whitespace(cp)) break;
    text.ptr += n;
    text.len -= n;
  }
  return trim_end(text);
}

// ------------------------------------------------------------------------------------------
// Strings
// ------------------------------------------------------------------------------------------

void gr_buf_push(gr_buf *buf, const uint8_t *bytes, size_t len) {
  if (len == 0) return;
  if (buf->len + len > buf->cap) {
    size_t cap = buf->cap ? buf->cap : 64;
    while (cap < buf->len + len) cap *= 2;
    uint8_t *grown = realloc(buf->ptr, cap);
    if (!grown) abort();
    buf->ptr = grown;
    buf->cap = cap;
  }
  memcpy(buf->ptr + buf->len, bytes, len);
  buf->len += len;
}

void gr_buf_cstr(gr_buf *buf, const char *text) {
  gr_buf_push(buf, (const uint8_t *)text, strlen(text));
}

void gr_buf_str(gr_buf *buf, const rule_string_t *text) { gr_buf_push(buf, text->ptr, text->len); }

void gr_buf_json_string(gr_buf *buf, const uint8_t *text, size_t len) {
  static const char hex[] = "0123456789abcdef";
  gr_buf_cstr(buf, "\"");
  for (size_t i = 0; i < len; i++) {
    uint8_t c = text[i];
    switch (c) {
      case '"': gr_buf_cstr(buf, "\\\""); break;
      case '\\': gr_buf_cstr(buf, "\\\\"); break;
      case '\n': gr_buf_cstr(buf, "\\n"); break;
      case '\r': gr_buf_cstr(buf, "\\r"); break;
      case '\t': gr_buf_cstr(buf, "\\t"); break;
      default:
        if (c < 0x20) {
          char escaped[7] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xF], 0};
          gr_buf_cstr(buf, escaped);
        } else {
          gr_buf_push(buf, &c, 1);
        }
    }
  }
  gr_buf_cstr(buf, "\"");
}

rule_string_t gr_buf_take(gr_buf *buf) {
  rule_string_t out = {buf->ptr, buf->len};
  if (buf->len == 0) {
    free(buf->ptr);
    out.ptr = NULL;
  }
  buf->ptr = NULL;
  buf->len = buf->cap = 0;
  return out;
}

static rule_string_t copy_bytes(const uint8_t *bytes, size_t len) {
  rule_string_t out = {NULL, len};
  if (len > 0) {
    out.ptr = malloc(len);
    if (!out.ptr) abort();
    memcpy(out.ptr, bytes, len);
  }
  return out;
}

rule_string_t gr_string(const char *text) {
  return copy_bytes((const uint8_t *)text, strlen(text));
}

rule_string_t gr_string_copy(const rule_string_t *text) { return copy_bytes(text->ptr, text->len); }

bool gr_str_eq(const rule_string_t *text, const char *expected) {
  size_t n = strlen(expected);
  return text->len == n && (n == 0 || memcmp(text->ptr, expected, n) == 0);
}

bool gr_str_starts_with(const rule_string_t *text, const char *prefix) {
  size_t n = strlen(prefix);
  return text->len >= n && (n == 0 || memcmp(text->ptr, prefix, n) == 0);
}

// ------------------------------------------------------------------------------------------
// Logging
// ------------------------------------------------------------------------------------------

void gr_log(glue_rules_types_log_level_t level, const char *message) {
  rule_string_t text = {(uint8_t *)message, strlen(message)};
  glue_rules_host_log(level, &text);
}

void gr_log_buf(glue_rules_types_log_level_t level, gr_buf *message) {
  rule_string_t text = {message->ptr, message->len};
  glue_rules_host_log(level, &text);
  rule_string_t owned = gr_buf_take(message);
  rule_string_free(&owned);
}

// ------------------------------------------------------------------------------------------
// Settings
// ------------------------------------------------------------------------------------------

// The trimmed copy of `value` into `out` (malloc'd); false when empty or blank.
static bool trimmed_copy(const rule_string_t *value, rule_string_t *out) {
  rule_string_t trimmed = gr_trim(*value);
  if (trimmed.len == 0) return false;
  *out = copy_bytes(trimmed.ptr, trimmed.len);
  return true;
}

bool gr_config_get(const char *key, rule_string_t *out) {
  rule_string_t name = {(uint8_t *)key, strlen(key)};
  rule_string_t value;
  if (!glue_rules_host_config(&name, &value)) return false;
  bool set = trimmed_copy(&value, out);
  rule_string_free(&value);
  return set;
}

rule_string_t gr_config_get_or(const char *key, const char *fallback) {
  rule_string_t value;
  return gr_config_get(key, &value) ? value : gr_string(fallback);
}

// `value` (set, trimmed, taken over) of `key` as a boolean, or a sentence in `err`.
static bool parse_bool(const char *key, rule_string_t value, bool *out, rule_string_t *err) {
  static const char *const yes[] = {"true", "yes", "on", "1"};
  static const char *const no[] = {"false", "no", "off", "0"};
  char folded[8] = {0};
  bool known = false;
  if (value.len < sizeof folded) {
    for (size_t i = 0; i < value.len; i++) {
      uint8_t c = value.ptr[i];
      folded[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    for (size_t i = 0; i < 4 && !known; i++) {
      if (strcmp(folded, yes[i]) == 0) *out = known = true;
      else if (strcmp(folded, no[i]) == 0) {
        *out = false;
        known = true;
      }
    }
  }
  if (!known) {
    gr_buf text = GR_BUF_INIT;
    gr_buf_cstr(&text, "setting `");
    gr_buf_cstr(&text, key);
    gr_buf_cstr(&text, "` must be true or false, not \"");
    gr_buf_str(&text, &value);
    gr_buf_cstr(&text, "\"");
    *err = gr_buf_take(&text);
  }
  rule_string_free(&value);
  return known;
}

bool gr_config_bool(const char *key, bool fallback, bool *out, rule_string_t *err) {
  rule_string_t value;
  if (!gr_config_get(key, &value)) {
    *out = fallback;
    return true;
  }
  return parse_bool(key, value, out, err);
}

bool gr_settings_get(const rule_list_tuple2_string_string_t *settings, const char *key,
                     rule_string_t *out) {
  for (size_t i = 0; i < settings->len; i++) {
    if (gr_str_eq(&settings->ptr[i].f0, key)) return trimmed_copy(&settings->ptr[i].f1, out);
  }
  return false;
}

bool gr_settings_bool(const rule_list_tuple2_string_string_t *settings, const char *key,
                      bool fallback, bool *out, rule_string_t *err) {
  rule_string_t value;
  if (!gr_settings_get(settings, key, &value)) {
    *out = fallback;
    return true;
  }
  return parse_bool(key, value, out, err);
}

// ------------------------------------------------------------------------------------------
// Matching and spelling
// ------------------------------------------------------------------------------------------

// The code points of `text` (malloc'd), their count in `count`.
static uint32_t *code_points(const rule_string_t *text, size_t *count) {
  uint32_t *cps = malloc((text->len + 1) * sizeof(uint32_t));
  if (!cps) abort();
  size_t n = 0;
  for (size_t i = 0; i < text->len;) i += utf8_decode(text->ptr + i, text->len - i, &cps[n++]);
  *count = n;
  return cps;
}

bool gr_glob(const rule_string_t *pattern, const rule_string_t *text) {
  size_t plen, tlen;
  uint32_t *p = code_points(pattern, &plen);
  uint32_t *t = code_points(text, &tlen);
  size_t pi = 0, ti = 0, star = 0, swallowed = 0;
  bool have_star = false, result = true;
  while (ti < tlen) {
    if (pi < plen && p[pi] == '*') {
      have_star = true;
      star = pi;
      swallowed = ti;
      pi++;
    } else if (pi < plen && (p[pi] == '?' || p[pi] == t[ti])) {
      pi++;
      ti++;
    } else if (have_star) {
      pi = star + 1;
      swallowed++;
      ti = swallowed;
    } else {
      result = false;
      break;
    }
  }
  for (; result && pi < plen; pi++) {
    if (p[pi] != '*') result = false;
  }
  free(p);
  free(t);
  return result;
}

static rule_string_t view(const char *text) {
  rule_string_t out = {(uint8_t *)text, strlen(text)};
  return out;
}

rule_string_t gr_job_state_name(const glue_rules_types_job_state_t *state) {
  static const char *const names[] = {"STARTING", "RUNNING", "STOPPING", "STOPPED", "SUCCEEDED",
                                      "FAILED",   "TIMEOUT", "ERROR",    "WAITING", "EXPIRED"};
  if (state->tag == GLUE_RULES_TYPES_JOB_STATE_OTHER) return state->val.other;
  return view(names[state->tag]);
}

rule_string_t gr_severity_name(const glue_rules_types_severity_t *severity) {
  static const char *const names[] = {"INFO", "WARN", "ERROR"};
  if (severity->tag == GLUE_RULES_TYPES_SEVERITY_OTHER) return severity->val.other;
  return view(names[severity->tag]);
}

const char *gr_partition(const rule_string_t *region) {
  if (gr_str_starts_with(region, "cn-")) return "aws-cn";
  if (gr_str_starts_with(region, "us-gov-")) return "aws-us-gov";
  return "aws";
}

bool gr_parse_invocation_type(const rule_string_t *text, glue_rules_types_invocation_type_t *out) {
  rule_string_t trimmed = gr_trim(*text);
  char folded[16];
  size_t n = 0;
  for (size_t i = 0; i < trimmed.len; i++) {
    uint8_t c = trimmed.ptr[i];
    if (c == '-' || c == '_') continue;
    if (n + 1 >= sizeof folded) return false;
    folded[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
  }
  folded[n] = 0;
  if (strcmp(folded, "event") == 0) {
    *out = GLUE_RULES_TYPES_INVOCATION_TYPE_EVENT;
    return true;
  }
  if (strcmp(folded, "requestresponse") == 0) {
    *out = GLUE_RULES_TYPES_INVOCATION_TYPE_REQUEST_RESPONSE;
    return true;
  }
  return false;
}

const char *gr_invocation_type_name(glue_rules_types_invocation_type_t type) {
  return type == GLUE_RULES_TYPES_INVOCATION_TYPE_EVENT ? "Event" : "RequestResponse";
}

// ------------------------------------------------------------------------------------------
// Decisions and actions
// ------------------------------------------------------------------------------------------

void gr_metadata(glue_rules_types_metadata_t *ret, const char *name, const char *version,
                 const char *description, rule_string_t pattern) {
  ret->name = gr_string(name);
  ret->version = gr_string(version);
  ret->description = gr_string(description);
  ret->patterns.ptr = NULL;
  ret->patterns.len = 0;
  ret->settings.ptr = NULL;
  ret->settings.len = 0;
  if (pattern.ptr) {
    ret->patterns.ptr = malloc(sizeof(rule_string_t));
    if (!ret->patterns.ptr) abort();
    ret->patterns.ptr[0] = pattern;
    ret->patterns.len = 1;
  }
}

glue_rules_types_setting_t *gr_metadata_setting(glue_rules_types_metadata_t *ret,
                                                glue_rules_types_setting_kind_t kind,
                                                const char *name, const char *description,
                                                const char *default_value) {
  glue_rules_types_list_setting_t *list = &ret->settings;
  glue_rules_types_setting_t *grown =
      realloc(list->ptr, (list->len + 1) * sizeof(glue_rules_types_setting_t));
  if (!grown) abort();
  list->ptr = grown;
  glue_rules_types_setting_t *setting = &list->ptr[list->len++];
  setting->name = gr_string(name);
  setting->kind = kind;
  setting->required = false;
  setting->default_value.is_some = default_value != NULL;
  setting->default_value.val = default_value ? gr_string(default_value) : (rule_string_t){NULL, 0};
  setting->description = gr_string(description);
  return setting;
}

bool gr_buf_glob_pattern_value(gr_buf *buf, const rule_string_t *glob) {
  bool star = false;
  for (size_t i = 0; i < glob->len; i++) {
    if (glob->ptr[i] == '?') return false;
    if (glob->ptr[i] == '*') star = true;
  }
  if (!star) {
    gr_buf_json_string(buf, glob->ptr, glob->len);
    return true;
  }
  // Runs of `*` mean one `*` (EventBridge refuses `**`).
  gr_buf collapsed = GR_BUF_INIT;
  size_t stars = 0;
  for (size_t i = 0; i < glob->len; i++) {
    uint8_t c = glob->ptr[i];
    if (c == '*' && collapsed.len > 0 && collapsed.ptr[collapsed.len - 1] == '*') continue;
    if (c == '*') stars++;
    gr_buf_push(&collapsed, &c, 1);
  }
  bool prefix = stars == 1 && collapsed.ptr[collapsed.len - 1] == '*';
  gr_buf value = GR_BUF_INIT;
  if (prefix) {
    gr_buf_push(&value, collapsed.ptr, collapsed.len - 1);
  } else {
    // In a wildcard, a backslash escapes: a literal one is written twice.
    for (size_t i = 0; i < collapsed.len; i++) {
      if (collapsed.ptr[i] == '\\') gr_buf_cstr(&value, "\\");
      gr_buf_push(&value, &collapsed.ptr[i], 1);
    }
  }
  gr_buf_cstr(buf, prefix ? "{\"prefix\":" : "{\"wildcard\":");
  gr_buf_json_string(buf, value.ptr, value.len);
  gr_buf_cstr(buf, "}");
  free(collapsed.ptr);
  free(value.ptr);
  return true;
}

void gr_no_match(glue_rules_types_decision_t *ret, rule_string_t reason) {
  ret->matched = false;
  ret->actions.ptr = NULL;
  ret->actions.len = 0;
  ret->reason.is_some = true;
  ret->reason.val = reason;
}

void gr_matched(glue_rules_types_decision_t *ret, glue_rules_types_action_t action, rule_string_t reason) {
  ret->matched = true;
  ret->actions.ptr = malloc(sizeof(glue_rules_types_action_t));
  if (!ret->actions.ptr) abort();
  ret->actions.ptr[0] = action;
  ret->actions.len = 1;
  ret->reason.is_some = true;
  ret->reason.val = reason;
}

glue_rules_types_action_t gr_lambda(rule_string_t function_name, rule_string_t payload,
                                    glue_rules_types_invocation_type_t invocation_type) {
  glue_rules_types_action_t action;
  action.tag = GLUE_RULES_TYPES_ACTION_LAMBDA;
  action.val.lambda.function_name = function_name;
  action.val.lambda.payload = payload;
  action.val.lambda.invocation_type = invocation_type;
  return action;
}

// SNS's subject rules, as the Rust SDK applies them.
static rule_option_string_t clean_subject(rule_string_t subject) {
  gr_buf spaced = GR_BUF_INIT;
  for (size_t i = 0; i < subject.len;) {
    uint32_t cp;
    size_t n = utf8_decode(subject.ptr + i, subject.len - i, &cp);
    if (is_control(cp)) gr_buf_cstr(&spaced, " ");
    else gr_buf_push(&spaced, subject.ptr + i, n);
    i += n;
  }
  rule_string_t cut = {spaced.ptr, spaced.len};
  cut = gr_trim(cut);
  size_t chars = 0, end = 0;
  while (end < cut.len && chars < 100) {
    uint32_t cp;
    end += utf8_decode(cut.ptr + end, cut.len - end, &cp);
    chars++;
  }
  cut.len = end;
  cut = trim_end(cut);
  rule_option_string_t out = {false, {NULL, 0}};
  if (cut.len > 0) {
    out.is_some = true;
    out.val = copy_bytes(cut.ptr, cut.len);
  }
  free(spaced.ptr);
  rule_string_free(&subject);
  return out;
}

glue_rules_types_action_t gr_sns(rule_string_t topic_arn, rule_string_t subject,
                                 rule_string_t message) {
  glue_rules_types_action_t action;
  action.tag = GLUE_RULES_TYPES_ACTION_SNS;
  action.val.sns.topic_arn = topic_arn;
  action.val.sns.subject = clean_subject(subject);
  action.val.sns.message = message;
  action.val.sns.message_attributes.ptr = NULL;
  action.val.sns.message_attributes.len = 0;
  return action;
}

void gr_sns_attribute(glue_rules_types_action_t *action, const char *name,
                      const rule_string_t *value) {
  if (value->len == 0) return;
  glue_rules_types_list_message_attribute_t *list = &action->val.sns.message_attributes;
  glue_rules_types_message_attribute_t *grown =
      realloc(list->ptr, (list->len + 1) * sizeof(glue_rules_types_message_attribute_t));
  if (!grown) abort();
  list->ptr = grown;
  list->ptr[list->len].name = gr_string(name);
  list->ptr[list->len].data_type = gr_string("String");
  list->ptr[list->len].string_value = gr_string_copy(value);
  list->len++;
}

// The bindings are generated with `--no-object-file`: the build embeds the component type with
// `wasm-tools component embed` instead, so the symbol that would pull the object in is defined
// here.
void __component_type_object_force_link_rule(void);
void __component_type_object_force_link_rule(void) {}
