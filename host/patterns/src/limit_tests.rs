//! The limits of [`PatternLimits`]: hostile patterns and plugins built in memory must be refused
//! with the right [`Rule::OverLimit`], at once and without building what they would expand to;
//! legitimate ones must still load.
//!
//! The time bounds are generous (a busy debug build): they tell "one pass over the text" from
//! "built the expansion", not fast from slow. Every bomb is refused layer by layer: with the
//! defaults, then with the limit that refused it lifted, to show that the next one holds too.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::{Limit, Pattern, PatternError, PatternLimits, PatternSetBuilder, Rule};

const BOUND: Duration = Duration::from_secs(5);

/// Runs `f`, prints how long it took (`--nocapture`) and checks that it was within [`BOUND`].
#[track_caller]
fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    eprintln!("{what}: {took:?}");
    assert!(took < BOUND, "{what} took {took:?}");
    out
}

/// The error of `r`, which must be `limit` at `max` with `found`.
#[track_caller]
fn over<T: std::fmt::Debug>(
    r: Result<T, PatternError>,
    limit: Limit,
    max: usize,
    found: usize,
) -> PatternError {
    let e = r.expect_err("should be over a limit");
    assert_eq!(e.over_limit(), Some((limit, max, found)), "{e}");
    assert_eq!(
        e.rule,
        Rule::OverLimit { limit, max, found },
        "the rule itself, not only the accessor"
    );
    assert!(
        e.to_string().ends_with(&format!("({})", limit.name())),
        "{e}"
    );
    e
}

fn unlimited() -> PatternLimits {
    let mut l = PatternLimits::default();
    for limit in Limit::ALL {
        l.set(limit, usize::MAX);
    }
    l
}

/// The defaults with `lifted` limits set to `usize::MAX`.
fn lifting(lifted: &[Limit]) -> PatternLimits {
    let mut l = PatternLimits::default();
    for &limit in lifted {
        l.set(limit, usize::MAX);
    }
    l
}

/// `{"$or":[{"k":["0"]},{"k":["1"]},...]}` with `n` alternatives, each written by `alt`.
fn or_of(n: usize, alt: impl Fn(usize) -> String) -> String {
    let items: Vec<String> = (0..n).map(alt).collect();
    format!(r#"{{"$or":[{}]}}"#, items.join(","))
}

// ---------------------------------------------------------------- the limits themselves

#[test]
fn limits_defaults_names_and_config_keys() {
    let d = PatternLimits::default();
    assert_eq!(d.pattern_max_bytes, 2048);
    assert_eq!(d.pattern_max_depth, 32);
    assert_eq!(d.list_max_values, 256);
    assert_eq!(d.pattern_max_alternatives, 1000);
    assert_eq!(d.pattern_max_compiled_values, 10_000);
    assert_eq!(d.plugin_max_patterns, 100);
    assert_eq!(d.plugin_max_alternatives, 1000);
    assert_eq!(d.plugin_max_compiled_values, 20_000);
    assert_eq!(d.plugin_max_unindexed, 16);

    // The names are the serde keys, and `get`/`set` agree with the fields.
    let config = serde_json::to_value(d).unwrap();
    let keys: Vec<&String> = config.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), Limit::ALL.len());
    let mut l = PatternLimits::default();
    for (i, limit) in Limit::ALL.into_iter().enumerate() {
        assert_eq!(Limit::from_name(limit.name()), Some(limit));
        assert_eq!(config[limit.name()], json!(d.get(limit)), "{limit}");
        l.set(limit, i);
        assert_eq!(l.get(limit), i);
    }
    assert_eq!(Limit::from_name("pattern_max_bytes"), None);
    // The count of patterns is about lists, not one pattern.
    let none = PatternLimits {
        plugin_max_patterns: 0,
        ..PatternLimits::default()
    };
    Pattern::parse_with_limits(r#"{"a":["1"]}"#, &none).unwrap();
    over(
        Pattern::parse_list_with_limits(&[r#"{"a":["1"]}"#], &none),
        Limit::PluginMaxPatterns,
        0,
        1,
    );

    // A host's `[limits]` table: missing keys take the default, other keys are ignored.
    let l: PatternLimits =
        serde_json::from_value(json!({"pattern-max-bytes": 4096, "wasm-max-memory": 1})).unwrap();
    assert_eq!(
        l,
        PatternLimits {
            pattern_max_bytes: 4096,
            ..PatternLimits::default()
        }
    );
}

#[test]
fn limit_errors_name_the_limit_its_value_the_size_and_the_pattern() {
    let long = format!(r#"{{"a":["{}"]}}"#, "x".repeat(3000));
    let e = over(Pattern::parse(&long), Limit::PatternMaxBytes, 2048, 3010);
    assert_eq!(e.pattern, None);
    assert_eq!(
        e.to_string(),
        "invalid event pattern at `<root>`: 3010 bytes, over the limit of 2048 bytes \
         (pattern-max-bytes)"
    );
    let mut b = PatternSetBuilder::new();
    let e = over(
        b.add(3, &[r#"{"a":["1"]}"#, &long]),
        Limit::PatternMaxBytes,
        2048,
        3010,
    );
    assert_eq!(e.pattern, Some(1));
    assert!(
        e.to_string()
            .starts_with("invalid event pattern #1 at `<root>`: 3010 bytes"),
        "{e}"
    );
    // Lists are named by their path.
    let list = format!(r#"{{"detail":{{"state":[{}]}}}}"#, vec!["1"; 300].join(","));
    let e = over(Pattern::parse(&list), Limit::ListMaxValues, 256, 300);
    assert_eq!(e.path, "detail.state");
    let e = over(
        Pattern::parse(&format!(
            r#"{{"a":[{{"anything-but":[{}]}}]}}"#,
            vec!["1"; 300].join(",")
        )),
        Limit::ListMaxValues,
        256,
        300,
    );
    assert_eq!(e.path, "a[0].anything-but");
    // A raised limit lets the pattern through.
    let raised = PatternLimits {
        pattern_max_bytes: 4096,
        ..PatternLimits::default()
    };
    assert!(Pattern::parse_with_limits(&long, &raised).is_ok());
}

// ---------------------------------------------------------------- the bombs

/// The security review's case: one pattern with a 1,000-way `$or` beside a 100,000-value list
/// (about 1 MB). Before the limits the compiler cloned the list into every alternative (10^8
/// values; the host reached 23.6 GB).
#[test]
fn bomb_or_1000_beside_list_100000_is_refused_at_once() {
    let values: Vec<String> = (0..100_000).map(|i| format!(r#""job-{i}""#)).collect();
    let or = or_of(1000, |i| format!(r#"{{"detail":{{"state":["S{i}"]}}}}"#));
    let text = format!(
        r#"{{"detail":{{"jobName":[{}]}},{}}}"#,
        values.join(","),
        &or[1..or.len() - 1]
    );
    assert!(text.len() > 1_000_000, "{}", text.len());

    // Defaults: the text is too long, before it is parsed.
    let e = timed("or+list: pattern-max-bytes", || {
        over(
            Pattern::parse(&text),
            Limit::PatternMaxBytes,
            2048,
            text.len(),
        )
    });
    assert_eq!(
        e.to_string(),
        format!(
            "invalid event pattern at `<root>`: {} bytes, over the limit of 2048 bytes \
             (pattern-max-bytes)",
            text.len()
        )
    );
    let mut b = PatternSetBuilder::new();
    let e = timed("or+list: builder, pattern-max-bytes", || {
        over(b.add(0, &[&text]), Limit::PatternMaxBytes, 2048, text.len())
    });
    assert_eq!(e.pattern, Some(0));
    assert!(
        e.to_string()
            .starts_with("invalid event pattern #0 at `<root>`: ")
    );

    // Any size: the list is too long.
    let l = lifting(&[Limit::PatternMaxBytes]);
    let e = timed("or+list: list-max-values", || {
        over(
            Pattern::parse_with_limits(&text, &l),
            Limit::ListMaxValues,
            256,
            100_000,
        )
    });
    assert_eq!(e.path, "detail.jobName");

    // Any list: the expansion would hold 1,000 copies of it, counted without building it.
    let l = lifting(&[Limit::PatternMaxBytes, Limit::ListMaxValues]);
    let e = timed("or+list: pattern-max-compiled-values", || {
        over(
            Pattern::parse_with_limits(&text, &l),
            Limit::PatternMaxCompiledValues,
            10_000,
            1000 * 100_001,
        )
    });
    assert_eq!(e.path, "<root>");
}

/// A plugin with 200,000 small patterns (11 s and 420 MB to load before): refused by its count
/// before any pattern is parsed.
#[test]
fn bomb_200000_small_patterns_is_refused_at_once() {
    let texts: Vec<String> = (0..200_000)
        .map(|i| format!(r#"{{"detail":{{"jobName":["job-{i}"]}}}}"#))
        .collect();
    let mut b = PatternSetBuilder::new();
    let e = timed("200k patterns: builder, plugin-max-patterns", || {
        over(b.add(0, &texts), Limit::PluginMaxPatterns, 100, 200_000)
    });
    assert_eq!(e.pattern, None);
    assert_eq!(e.path, "");
    assert_eq!(
        e.to_string(),
        "invalid event patterns: 200000 patterns, over the limit of 100 patterns per plugin \
         (plugin-max-patterns)"
    );
    timed("200k patterns: parse_list, plugin-max-patterns", || {
        over(
            Pattern::parse_list(&texts),
            Limit::PluginMaxPatterns,
            100,
            200_000,
        )
    });
    // Nothing was added.
    assert_eq!(b.build().stats().plugins, 0);

    // Any number of patterns: the plugin's alternatives, after 1,000 patterns parsed.
    let l = lifting(&[Limit::PluginMaxPatterns]);
    let e = timed("200k patterns: plugin-max-alternatives", || {
        over(
            Pattern::parse_list_with_limits(&texts, &l),
            Limit::PluginMaxAlternatives,
            1000,
            1001,
        )
    });
    assert_eq!(e.pattern, Some(1000));
    assert!(
        e.to_string().starts_with("invalid event pattern #1000: "),
        "{e}"
    );
    // Any alternatives: the plugin's compiled size (1 value per pattern).
    let l = lifting(&[Limit::PluginMaxPatterns, Limit::PluginMaxAlternatives]);
    let e = timed("200k patterns: plugin-max-compiled-values", || {
        over(
            Pattern::parse_list_with_limits(&texts, &l),
            Limit::PluginMaxCompiledValues,
            20_000,
            20_001,
        )
    });
    assert_eq!(e.pattern, Some(20_000));
}

/// 10,000 levels of nesting: refused on the text, before any recursive parser sees it; with
/// every limit lifted, `serde_json`'s recursion limit (128) still refuses it cleanly.
#[test]
fn bomb_nesting_10000_deep_is_refused_without_recursion() {
    let objects = format!(
        r#"{}["x"]{}"#,
        r#"{"a":"#.repeat(10_000),
        "}".repeat(10_000)
    );
    let arrays = format!(r#"{{"a":{}{}}}"#, "[".repeat(10_000), "]".repeat(10_000));
    timed("deep: pattern-max-bytes", || {
        over(
            Pattern::parse(&objects),
            Limit::PatternMaxBytes,
            2048,
            objects.len(),
        )
    });
    let l = lifting(&[Limit::PatternMaxBytes]);
    timed("deep objects: pattern-max-depth", || {
        over(
            Pattern::parse_with_limits(&objects, &l),
            Limit::PatternMaxDepth,
            32,
            10_001,
        )
    });
    timed("deep arrays: pattern-max-depth", || {
        over(
            Pattern::parse_with_limits(&arrays, &l),
            Limit::PatternMaxDepth,
            32,
            10_001,
        )
    });
    // Within the default size: 1,000 levels of arrays.
    let small = format!("{}{}", "[".repeat(1000), "]".repeat(1000));
    assert!(small.len() <= 2048);
    over(Pattern::parse(&small), Limit::PatternMaxDepth, 32, 1000);
    // Brackets inside strings are not nesting.
    let p = format!(r#"{{"a":["{}"]}}"#, "[{".repeat(500));
    assert!(Pattern::parse(&p).is_ok());

    // No limit at all: serde_json stops at depth 128 with an error, not a stack overflow.
    for text in [&objects, &arrays] {
        let e = timed("deep: serde_json recursion limit", || {
            Pattern::parse_with_limits(text, &unlimited()).unwrap_err()
        });
        assert!(
            matches!(&e.rule, Rule::InvalidJson(m) if m.contains("recursion limit exceeded")),
            "{e}"
        );
    }
    // Depths up to the default limit are fine.
    let ok = format!(r#"{}["x"]{}"#, r#"{"a":"#.repeat(31), "}".repeat(31));
    assert!(Pattern::parse(&ok).is_ok());
    let too_deep = format!(r#"{}["x"]{}"#, r#"{"a":"#.repeat(32), "}".repeat(32));
    over(Pattern::parse(&too_deep), Limit::PatternMaxDepth, 32, 33);
}

/// `$or` inside `$or`, and `$or` beside `$or`: the guide's product of their lengths is counted
/// as the text is read, and refused at the first `$or` that takes it over the limit, before
/// anything is expanded.
#[test]
fn bomb_or_inside_or_is_refused_by_the_product() {
    let inner = or_of(1000, |i| format!(r#"{{"b":[{i}]}}"#));
    // A 1,000-way `$or` inside every alternative of a 1,000-way `$or`: 10^6 alternatives, from
    // 10 MB of text (refused by its size: parsing 10 MB is itself the cost to avoid).
    let full = or_of(1000, |i| format!(r#"{{"a{i}":{inner}}}"#));
    assert!(full.len() > 10_000_000, "{}", full.len());
    timed("or in or: pattern-max-bytes", || {
        over(
            Pattern::parse(&full),
            Limit::PatternMaxBytes,
            2048,
            full.len(),
        )
    });
    // The same product from 20 KB: the inner `$or` in one outer alternative only.
    let nested = or_of(1000, |i| {
        if i == 0 {
            format!(r#"{{"a0":{inner}}}"#)
        } else {
            format!(r#"{{"a{i}":[1]}}"#)
        }
    });
    let l = lifting(&[Limit::PatternMaxBytes]);
    let e = timed("or in or: pattern-max-alternatives", || {
        over(
            Pattern::parse_with_limits(&nested, &l),
            Limit::PatternMaxAlternatives,
            1000,
            1_000_000,
        )
    });
    assert_eq!(e.path, "$or[0].a0.$or");
    // Two 1,000-way `$or` side by side expand to 10^6 alternatives from 20 KB.
    let side = format!(r#"{{"x":{inner},"y":{inner}}}"#);
    let e = timed("or beside or: pattern-max-alternatives", || {
        over(
            Pattern::parse_with_limits(&side, &l),
            Limit::PatternMaxAlternatives,
            1000,
            1_000_000,
        )
    });
    assert_eq!(e.path, "y.$or");
    // Any product: the compiled size (2 values in each of 10^6 alternatives), still counted
    // without expanding.
    let l = lifting(&[Limit::PatternMaxBytes, Limit::PatternMaxAlternatives]);
    timed("or beside or: pattern-max-compiled-values", || {
        over(
            Pattern::parse_with_limits(&side, &l),
            Limit::PatternMaxCompiledValues,
            10_000,
            2_000_000,
        )
    });

    // Within the default size: six 10-way `$or` side by side (10^6 combinations, 700 bytes).
    let ten = or_of(10, |i| format!(r#"{{"x":["{i}"]}}"#));
    let small = format!(r#"{{"a":{ten},"b":{ten},"c":{ten},"d":{ten},"e":{ten},"f":{ten}}}"#);
    assert!(small.len() <= 2048);
    let e = timed("six 10-way $or: pattern-max-alternatives", || {
        over(
            Pattern::parse(&small),
            Limit::PatternMaxAlternatives,
            1000,
            10_000,
        )
    });
    assert_eq!(e.path, "d.$or");
}

/// 1,000 alternatives that the index cannot look up would be checked against every event.
#[test]
fn bomb_1000_unindexed_alternatives_is_refused() {
    // Within the default size: three 10-way `$or` of `exists` (1,000 alternatives).
    let ten = or_of(10, |_| r#"{"n":[{"exists":true}]}"#.to_owned());
    let small = format!(r#"{{"a":{ten},"b":{ten},"c":{ten}}}"#);
    assert!(small.len() <= 2048, "{}", small.len());
    let e = timed("unindexed: one pattern", || {
        over(Pattern::parse(&small), Limit::PluginMaxUnindexed, 16, 1000)
    });
    assert_eq!(e.pattern, None);
    assert!(
        e.to_string().starts_with(
            "invalid event pattern at `<root>`: 1000 alternatives that the index cannot look up"
        ),
        "{e}"
    );
    // One `$or` of 1,000 numeric conditions (over the default size).
    let wide = or_of(1000, |i| format!(r#"{{"n":[{{"numeric":[">",{i}]}}]}}"#));
    let l = lifting(&[Limit::PatternMaxBytes]);
    timed("unindexed: 1000-way $or", || {
        over(
            Pattern::parse_with_limits(&wide, &l),
            Limit::PluginMaxUnindexed,
            16,
            1000,
        )
    });
    // 1,000 patterns of one plugin, each unindexed: refused at the 17th.
    let texts: Vec<String> = (0..1000)
        .map(|i| format!(r#"{{"detail":{{"n":[{{"anything-but":[{i}]}}]}}}}"#))
        .collect();
    let l = lifting(&[Limit::PluginMaxPatterns]);
    let mut b = PatternSetBuilder::new().with_limits(l);
    let e = timed("unindexed: 1000 patterns", || {
        over(b.add(0, &texts), Limit::PluginMaxUnindexed, 16, 17)
    });
    assert_eq!(e.pattern, Some(16));
    // An empty prefix is an anchor every string hits: it counts as unindexed.
    let empty: Vec<&str> = vec![r#"{"source":[{"prefix":""}]}"#; 17];
    let mut b = PatternSetBuilder::new();
    over(b.add(0, &empty), Limit::PluginMaxUnindexed, 16, 17);
    // 16 are fine, and are what the set checks on every event.
    let mut b = PatternSetBuilder::new();
    b.add(0, &texts[..16]).unwrap();
    b.add(1, &[r#"{"source":["aws.glue"]}"#]).unwrap();
    let set = b.build();
    assert_eq!(set.stats().unindexed, 16);
    // Per plugin: another plugin has its own budget, but the same plugin's later calls add up.
    let mut b = PatternSetBuilder::new();
    b.add(0, &texts[..16]).unwrap();
    b.add(1, &texts[..16]).unwrap();
    over(b.add(0, &texts[16..17]), Limit::PluginMaxUnindexed, 16, 17);
}

// ---------------------------------------------------------------- what still loads

#[test]
fn legitimate_patterns_and_plugins_still_load() {
    let glue = [
        r#"{"source":["aws.glue"],"detail-type":["Glue Job State Change"],"detail":{"state":["SUCCEEDED"]}}"#,
        r#"{"source":["aws.glue"],"detail-type":["Glue Job State Change"],"detail":{"state":["FAILED","TIMEOUT","STOPPED"]}}"#,
        r#"{"detail":{"jobName":[{"prefix":"team-"},{"wildcard":"*-daily"}],"state":[{"anything-but":["RUNNING","STARTING"]}]}}"#,
        r#"{"detail-type":["Glue Crawler State Change"],"detail":{"tablesCreated":[{"numeric":[">",0]}]}}"#,
        r#"{"source":["aws.glue"],"$or":[{"detail":{"state":["FAILED"]}},{"detail":{"severity":["ERROR"]}}]}"#,
        r#"{"detail":{"jobName":[{"equals-ignore-case":"Nightly"}],"jobRunId":[{"exists":true}]}}"#,
    ];
    for p in glue {
        let p = Pattern::parse(p).unwrap_or_else(|e| panic!("{p}: {e}"));
        assert!(p.compiled_values() >= 1);
    }
    // EventBridge's maximum $or (10 × 10 × 10), with fields outside the $or.
    let ten = |k: &str| or_of(10, |i| format!(r#"{{"{k}":["{i}"]}}"#));
    let thousand = format!(
        r#"{{"source":["aws.glue"],"a":{},"b":{},"c":{}}}"#,
        ten("x"),
        ten("y"),
        ten("z")
    );
    let p = Pattern::parse(&thousand).unwrap();
    assert_eq!(p.alternatives(), 1000);
    assert_eq!(p.compiled_values(), 4000);
    assert_eq!(p.unindexed_alternatives(), 0);
    // A pattern of exactly 2,048 bytes, and a list of 256 values.
    let mut exact = String::from(r#"{"a":[""#);
    exact.push_str(&"x".repeat(2048 - exact.len() - 3));
    exact.push_str(r#""]}"#);
    assert_eq!(exact.len(), 2048);
    Pattern::parse(&exact).unwrap();
    let list: Vec<String> = (0..256).map(|i| i.to_string()).collect();
    Pattern::parse(&format!(r#"{{"a":[{}]}}"#, list.join(","))).unwrap();

    // A plugin with 100 patterns and one with the 1,000-alternative pattern; 101 do not fit.
    let hundred: Vec<String> = (0..100)
        .map(|i| format!(r#"{{"source":["aws.glue"],"detail":{{"jobName":["job-{i}"]}}}}"#))
        .collect();
    let mut b = PatternSetBuilder::new();
    b.add(0, &hundred).unwrap();
    b.add(1, &[&thousand]).unwrap();
    b.add(2, &glue).unwrap();
    b.add(3, &[] as &[&str]).unwrap();
    over(b.add(0, &hundred[..1]), Limit::PluginMaxPatterns, 100, 101);
    let set = b.build();
    assert_eq!(set.stats().plugins, 4);
    let mut out = Vec::new();
    set.candidates(
        &json!({"source":"aws.glue","detail":{"jobName":"job-7","state":"FAILED"}}),
        &mut out,
    );
    assert_eq!(out, [0, 2, 3]);

    // Compiled patterns: the per-plugin limits apply through try_add_compiled.
    let compiled = Pattern::parse_list(&hundred).unwrap();
    let mut b = PatternSetBuilder::new();
    b.try_add_compiled(0, compiled.clone()).unwrap();
    let e = over(
        b.try_add_compiled(0, compiled[..1].to_vec()),
        Limit::PluginMaxPatterns,
        100,
        101,
    );
    assert_eq!(e.pattern, None);
    // add_compiled does not check, but counts towards later calls.
    b.add_compiled(1, compiled.clone());
    over(
        b.add(1, &[r#"{"a":["1"]}"#]),
        Limit::PluginMaxPatterns,
        100,
        101,
    );
    // 1,000 alternatives for one plugin fill its budget.
    let mut b = PatternSetBuilder::new();
    b.add(0, &[&thousand]).unwrap();
    let e = over(
        b.add(0, &[r#"{"a":["1"]}"#]),
        Limit::PluginMaxAlternatives,
        1000,
        1001,
    );
    assert_eq!(e.pattern, Some(0));
}
