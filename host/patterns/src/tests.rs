//! Unit tests per operator. Test names cite the rule; "guide" is the EventBridge user guide
//! (event patterns, content filtering, comparison operators), "ruler" is event-ruler's README.

use serde_json::{Value, json};

use crate::{Explanation, Pattern, PatternError, PatternSetBuilder, Rule};

/// Matches `pattern` against `event` with [`Pattern::matches`] and checks that a one-plugin
/// [`PatternSet`](crate::PatternSet) (anchor index + exact check) gives the same answer,
/// that `explain` agrees, and that all three say the same of the event read as a
/// [`Document`](crate::Document) (what the host passes) as of the `serde_json::Value`.
#[track_caller]
fn m(pattern: &str, event: Value) -> bool {
    let p = Pattern::parse(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
    let direct = p.matches(&event);
    assert_eq!(
        p.explain(&event).is_match(),
        direct,
        "explain disagrees on {pattern}"
    );
    let mut b = PatternSetBuilder::new();
    b.add(7, &[pattern]).unwrap();
    let set = b.build();
    let mut out = vec![99];
    set.candidates(&event, &mut out);
    let expected: Vec<usize> = if direct { vec![7] } else { vec![] };
    assert_eq!(
        out, expected,
        "PatternSet disagrees with Pattern::matches on {pattern} / {event}"
    );
    let doc = crate::Document::from_value(&event);
    assert_eq!(
        p.matches(&doc),
        direct,
        "the Document disagrees on {pattern}"
    );
    assert_eq!(
        p.explain(&doc),
        p.explain(&event),
        "explain differs on {pattern}"
    );
    set.candidates(&doc, &mut out);
    assert_eq!(
        out, expected,
        "the Document's candidates differ on {pattern}"
    );
    direct
}

#[track_caller]
fn err(pattern: &str) -> PatternError {
    match Pattern::parse(pattern) {
        Ok(_) => panic!("{pattern} should be invalid"),
        Err(e) => e,
    }
}

#[track_caller]
fn err_at(pattern: &str, path: &str) -> Rule {
    let e = err(pattern);
    assert_eq!(e.path, path, "{pattern}: {e}");
    e.rule
}

// ---------------------------------------------------------------- exact values

#[test]
fn guide_exact_string_is_case_sensitive_and_not_normalized() {
    assert!(m(
        r#"{"source":["aws.glue"]}"#,
        json!({"source":"aws.glue"})
    ));
    assert!(!m(
        r#"{"source":["aws.glue"]}"#,
        json!({"source":"AWS.glue"})
    ));
    assert!(!m(
        r#"{"source":["aws.glue"]}"#,
        json!({"source":"aws.glue "})
    ));
    assert!(m(
        r#"{"source":["aws.ec2","aws.glue"]}"#,
        json!({"source":"aws.glue"})
    ));
}

#[test]
fn guide_all_listed_fields_must_exist_with_same_nesting() {
    let p = r#"{"source":["aws.glue"],"detail":{"state":["FAILED"]}}"#;
    assert!(m(
        p,
        json!({"source":"aws.glue","detail":{"state":"FAILED","x":1}})
    ));
    assert!(!m(p, json!({"source":"aws.glue"})));
    assert!(!m(p, json!({"source":"aws.glue","state":"FAILED"})));
    assert!(!m(
        p,
        json!({"source":"aws.glue","detail":{"inner":{"state":"FAILED"}}})
    ));
}

#[test]
fn guide_type_sensitive_string_vs_number_vs_bool_vs_null() {
    assert!(!m(r#"{"a":["300"]}"#, json!({"a":300})));
    assert!(!m(r#"{"a":[300]}"#, json!({"a":"300"})));
    assert!(!m(r#"{"a":["true"]}"#, json!({"a":true})));
    assert!(!m(r#"{"a":[true]}"#, json!({"a":"true"})));
    assert!(m(r#"{"a":[true]}"#, json!({"a":true})));
    assert!(!m(r#"{"a":[true]}"#, json!({"a":false})));
    assert!(m(r#"{"a":[false]}"#, json!({"a":false})));
    assert!(!m(r#"{"a":["null"]}"#, json!({"a":null})));
    assert!(!m(r#"{"a":[null]}"#, json!({"a":"null"})));
    assert!(!m(r#"{"a":[0]}"#, json!({"a":false})));
}

#[test]
fn guide_null_and_empty_string_are_not_interchangeable() {
    assert!(m(
        r#"{"detail":{"eventVersion":[""]}}"#,
        json!({"detail":{"eventVersion":""}})
    ));
    assert!(!m(
        r#"{"detail":{"eventVersion":[""]}}"#,
        json!({"detail":{"eventVersion":null}})
    ));
    assert!(m(
        r#"{"detail":{"responseElements":[null]}}"#,
        json!({"detail":{"responseElements":null}})
    ));
    assert!(!m(
        r#"{"detail":{"responseElements":[null]}}"#,
        json!({"detail":{"responseElements":""}})
    ));
    // null is a value, not absence
    assert!(!m(
        r#"{"detail":{"responseElements":[null]}}"#,
        json!({"detail":{}})
    ));
}

#[test]
fn ruler_numbers_compare_by_value() {
    // event-ruler adds a numeric-equality matcher for every number in a value list
    // (SEMANTICS.md: the guide's "string representation" sentence cannot hold on parsed JSON).
    assert!(m(r#"{"a":[300]}"#, json!({"a":300})));
    assert!(m(
        r#"{"a":[300]}"#,
        serde_json::from_str(r#"{"a":300.0}"#).unwrap()
    ));
    assert!(m(
        r#"{"a":[300]}"#,
        serde_json::from_str(r#"{"a":3.0e2}"#).unwrap()
    ));
    assert!(m(r#"{"a":[-0.5]}"#, json!({"a":-0.5})));
    assert!(!m(r#"{"a":[300]}"#, json!({"a":301})));
    // big integers (account ids) compare exactly
    assert!(m(
        r#"{"account":[123456789012]}"#,
        json!({"account":123456789012u64})
    ));
    assert!(m(
        r#"{"a":[12345678901234567890]}"#,
        json!({"a":12345678901234567890u64})
    ));
    assert!(!m(
        r#"{"a":[12345678901234567890]}"#,
        json!({"a":12345678901234567891u64})
    ));
}

#[test]
fn json_escapes_in_patterns_and_events_are_decoded() {
    assert!(m(
        r#"{"a":["\u0041"]}"#,
        serde_json::from_str(r#"{"a":"A"}"#).unwrap()
    ));
    assert!(m(
        r#"{"a":["A"]}"#,
        serde_json::from_str(r#"{"a":"\u0041"}"#).unwrap()
    ));
    assert!(m(
        r#"{"a":["é\"q"]}"#,
        serde_json::from_str(r#"{"a":"\u00e9\"q"}"#).unwrap()
    ));
}

// ---------------------------------------------------------------- arrays

#[test]
fn guide_event_array_matches_on_non_empty_intersection() {
    let p = r#"{"resources":["arn:1","arn:2"]}"#;
    assert!(m(p, json!({"resources":["arn:0","arn:2"]})));
    assert!(!m(p, json!({"resources":["arn:0","arn:3"]})));
    assert!(!m(p, json!({"resources":[]})));
    // nested arrays are flattened
    assert!(m(p, json!({"resources":[["arn:9"],["arn:1"]]})));
}

#[test]
fn ruler_arrays_of_objects_are_crushed() {
    let ev = json!({"employees":[
        {"firstName":"John","lastName":"Doe"},
        {"firstName":"Anna","lastName":"Smith"},
        {"firstName":"Peter","lastName":"Jones"}]});
    assert!(m(r#"{"employees":{"firstName":["Anna"]}}"#, ev.clone()));
    let nested =
        json!({"employees":[[{"firstName":"John"},{"firstName":"Anna"}],[{"firstName":"Peter"}]]});
    assert!(m(r#"{"employees":{"firstName":["Peter"]}}"#, nested));
    assert!(m(
        r#"{"employees":{"firstName":["Anna"],"lastName":["Smith"]}}"#,
        ev.clone()
    ));
}

#[test]
fn ruler_array_consistency_fields_from_one_element() {
    // rulesForJSONEvent: no match when two fields come from different elements of one array
    let ev = json!({"employees":[
        {"firstName":"John","lastName":"Doe"},
        {"firstName":"Anna","lastName":"Smith"},
        {"firstName":"Peter","lastName":"Jones"}]});
    assert!(!m(
        r#"{"employees":{"firstName":["Anna"],"lastName":["Jones"]}}"#,
        ev
    ));
    // different arrays are independent
    let ev2 = json!({"a":[{"x":1}],"b":[{"y":2}]});
    assert!(m(r#"{"a":{"x":[1]},"b":{"y":[2]}}"#, ev2));
    // deeper: the inner array must also agree
    let ev3 = json!({"a":[{"b":[{"c":"1"},{"d":"2"}]}]});
    assert!(!m(r#"{"a":{"b":{"c":["1"],"d":["2"]}}}"#, ev3.clone()));
    assert!(m(r#"{"a":{"b":{"c":["1"]}}}"#, ev3));
}

#[test]
fn array_values_mixed_with_objects() {
    assert!(m(r#"{"a":["x"]}"#, json!({"a":["x",{"b":1}]})));
    assert!(m(r#"{"a":{"b":[1]}}"#, json!({"a":["x",{"b":1}]})));
}

// ---------------------------------------------------------------- prefix / suffix / ignore case

#[test]
fn guide_prefix_strings_only() {
    let p = r#"{"time":[{"prefix":"2017-10-02"}]}"#;
    assert!(m(p, json!({"time":"2017-10-02T18:43:48Z"})));
    assert!(!m(p, json!({"time":"2017-10-03T18:43:48Z"})));
    assert!(!m(r#"{"n":[{"prefix":"30"}]}"#, json!({"n":300})));
    assert!(m(r#"{"a":[{"prefix":""}]}"#, json!({"a":"anything"})));
    assert!(!m(r#"{"a":[{"prefix":""}]}"#, json!({"a":null})));
    assert!(m(
        r#"{"region":[{"prefix":"eu-"}]}"#,
        json!({"region":["us-east-1","eu-west-1"]})
    ));
}

#[test]
fn guide_suffix_strings_only() {
    let p = r#"{"FileName":[{"suffix":".png"}]}"#;
    assert!(m(p, json!({"FileName":"image.png"})));
    assert!(!m(p, json!({"FileName":"image.PNG"})));
    assert!(!m(p, json!({"FileName":"png"})));
    assert!(!m(r#"{"n":[{"suffix":"0"}]}"#, json!({"n":300})));
}

#[test]
fn guide_equals_ignore_case() {
    let p = r#"{"detail-type":[{"equals-ignore-case":"ec2 instance state-change notification"}]}"#;
    assert!(m(
        p,
        json!({"detail-type":"EC2 Instance State-change Notification"})
    ));
    assert!(!m(
        p,
        json!({"detail-type":"EC2 Instance State-change Notification!"})
    ));
    assert!(!m(r#"{"a":[{"equals-ignore-case":"1"}]}"#, json!({"a":1})));
    // event-ruler: each character matches its lower- or upper-case form
    assert!(m(
        r#"{"a":[{"equals-ignore-case":"straße"}]}"#,
        json!({"a":"STRASSE"})
    ));
    assert!(m(
        r#"{"a":[{"equals-ignore-case":"ÉTÉ"}]}"#,
        json!({"a":"été"})
    ));
}

#[test]
fn guide_prefix_and_suffix_with_equals_ignore_case() {
    let p = r#"{"detail":{"service":[{"prefix":{"equals-ignore-case":"EventB"}}]}}"#;
    assert!(m(p, json!({"detail":{"service":"eventbridge"}})));
    assert!(m(p, json!({"detail":{"service":"EVENTBRIDGE"}})));
    assert!(!m(p, json!({"detail":{"service":"event"}})));
    let s = r#"{"detail":{"FileName":[{"suffix":{"equals-ignore-case":".png"}}]}}"#;
    assert!(m(s, json!({"detail":{"FileName":"A.PNG"}})));
    assert!(!m(s, json!({"detail":{"FileName":"A.PNGX"}})));
}

// ---------------------------------------------------------------- wildcard

#[test]
fn ruler_wildcard_matching() {
    let p = r#"{"source":[{"wildcard":"Simple*Service"}]}"#;
    assert!(m(p, json!({"source":"SimpleQueueService"})));
    assert!(m(p, json!({"source":"SimpleService"})));
    assert!(!m(p, json!({"source":"SimpleQueueServices"})));
    assert!(m(r#"{"a":[{"wildcard":"*"}]}"#, json!({"a":""})));
    assert!(!m(r#"{"a":[{"wildcard":"*"}]}"#, json!({"a":5})));
    assert!(m(r#"{"a":[{"wildcard":"a*b*c"}]}"#, json!({"a":"a-b-b-c"})));
    assert!(m(
        r#"{"FilePath":[{"wildcard":"*/lib/*"}]}"#,
        json!({"FilePath":"/usr/lib/libc.so"})
    ));
}

#[test]
fn ruler_wildcard_escapes() {
    // JSON "\\*" is the wildcard text \* : a literal asterisk
    assert!(m(r#"{"a":[{"wildcard":"x\\*y"}]}"#, json!({"a":"x*y"})));
    assert!(!m(r#"{"a":[{"wildcard":"x\\*y"}]}"#, json!({"a":"xzy"})));
    // JSON "\\\\" is \\ : a literal backslash
    assert!(m(r#"{"a":[{"wildcard":"x\\\\y"}]}"#, json!({"a":"x\\y"})));
    // \\* : literal backslash then a wildcard
    assert!(m(
        r#"{"a":[{"wildcard":"x\\\\*"}]}"#,
        json!({"a":"x\\anything"})
    ));
    // \** : literal asterisk then a wildcard (not consecutive wildcards)
    assert!(m(r#"{"a":[{"wildcard":"\\**"}]}"#, json!({"a":"*tail"})));
}

#[test]
fn ruler_wildcard_rejects_consecutive_stars_and_bad_escapes() {
    assert_eq!(
        err_at(r#"{"a":[{"wildcard":"a**b"}]}"#, "a[0].wildcard"),
        Rule::ConsecutiveWildcards(1)
    );
    assert_eq!(
        err_at(r#"{"a":[{"wildcard":"a\\b"}]}"#, "a[0].wildcard"),
        Rule::InvalidWildcardEscape(1)
    );
    assert_eq!(
        err_at(r#"{"a":[{"wildcard":"ab\\"}]}"#, "a[0].wildcard"),
        Rule::InvalidWildcardEscape(2)
    );
    let e = err(r#"{"a":[{"wildcard":"a**b"}]}"#);
    assert!(e.to_string().contains("consecutive `*` in wildcard"), "{e}");
}

// ---------------------------------------------------------------- anything-but

#[test]
fn guide_anything_but_value_and_list() {
    let p = r#"{"detail":{"state":[{"anything-but":"initializing"}]}}"#;
    assert!(m(p, json!({"detail":{"state":"running"}})));
    assert!(!m(p, json!({"detail":{"state":"initializing"}})));
    // the field must exist
    assert!(!m(p, json!({"detail":{}})));
    let l = r#"{"detail":{"state":[{"anything-but":["stopped","overloaded"]}]}}"#;
    assert!(m(l, json!({"detail":{"state":"running"}})));
    assert!(!m(l, json!({"detail":{"state":"stopped"}})));
    let n = r#"{"detail":{"x-limit":[{"anything-but":[100,200,300]}]}}"#;
    assert!(m(n, json!({"detail":{"x-limit":301.8}})));
    assert!(!m(n, json!({"detail":{"x-limit":200}})));
    assert!(!m(
        n,
        serde_json::from_str(r#"{"detail":{"x-limit":2.0e2}}"#).unwrap()
    ));
    assert!(!m(r#"{"a":[{"anything-but":123}]}"#, json!({"a":123})));
}

#[test]
fn ruler_anything_but_other_types_and_arrays() {
    // values of another type are never excluded
    assert!(m(r#"{"a":[{"anything-but":"5"}]}"#, json!({"a":5})));
    assert!(m(r#"{"a":[{"anything-but":[5]}]}"#, json!({"a":"5"})));
    assert!(m(r#"{"a":[{"anything-but":"x"}]}"#, json!({"a":null})));
    // an array matches when any element is not excluded
    assert!(m(r#"{"a":[{"anything-but":"x"}]}"#, json!({"a":["x","y"]})));
    assert!(!m(
        r#"{"a":[{"anything-but":"x"}]}"#,
        json!({"a":["x","x"]})
    ));
    assert!(!m(r#"{"a":[{"anything-but":"x"}]}"#, json!({"a":[]})));
    // an object has no leaf value: nothing to compare
    assert!(!m(
        r#"{"a":[{"anything-but":"x"}]}"#,
        json!({"a":{"b":"y"}})
    ));
}

#[test]
fn guide_anything_but_prefix_suffix() {
    let p = r#"{"detail":{"state":[{"anything-but":{"prefix":"init"}}]}}"#;
    assert!(m(p, json!({"detail":{"state":"running"}})));
    assert!(!m(p, json!({"detail":{"state":"initializing"}})));
    assert!(m(p, json!({"detail":{"state":3}})));
    let pl = r#"{"a":[{"anything-but":{"prefix":["init","error"]}}]}"#;
    assert!(!m(pl, json!({"a":"error-1"})));
    assert!(m(pl, json!({"a":"ok"})));
    let s = r#"{"FileName":[{"anything-but":{"suffix":".png"}}]}"#;
    assert!(m(s, json!({"FileName":"a.jpg"})));
    assert!(!m(s, json!({"FileName":"a.png"})));
    let sl = r#"{"id":[{"anything-but":{"suffix":["1234","6789"]}}]}"#;
    assert!(!m(sl, json!({"id":"i-6789"})));
    assert!(m(sl, json!({"id":"i-0000"})));
}

#[test]
fn guide_anything_but_ignore_case_and_wildcard() {
    let p = r#"{"state":[{"anything-but":{"equals-ignore-case":"initializing"}}]}"#;
    assert!(!m(p, json!({"state":"INITIALIZING"})));
    assert!(m(p, json!({"state":"running"})));
    let pl = r#"{"state":[{"anything-but":{"equals-ignore-case":["Stopped","OverLoaded"]}}]}"#;
    assert!(!m(pl, json!({"state":"overloaded"})));
    assert!(m(pl, json!({"state":"running"})));
    let w = r#"{"FilePath":[{"anything-but":{"wildcard":"*/lib/*"}}]}"#;
    assert!(!m(w, json!({"FilePath":"/usr/lib/x"})));
    assert!(m(w, json!({"FilePath":"/usr/bin/x"})));
    let wl = r#"{"p":[{"anything-but":{"wildcard":["*/bin/*.jar","*/bin/*.class"]}}]}"#;
    assert!(!m(wl, json!({"p":"/opt/bin/a.class"})));
    assert!(m(wl, json!({"p":"/opt/lib/a.class"})));
}

#[test]
fn ruler_anything_but_validation() {
    assert_eq!(
        err_at(
            r#"{"a":[{"anything-but":["x",1]}]}"#,
            "a[0].anything-but[1]"
        ),
        Rule::AnythingButMixed
    );
    assert_eq!(
        err_at(r#"{"a":[{"anything-but":[null]}]}"#, "a[0].anything-but[0]"),
        Rule::AnythingButMixed
    );
    assert_eq!(
        err_at(
            r#"{"a":[{"anything-but":{"prefix":""}}]}"#,
            "a[0].anything-but.prefix"
        ),
        Rule::AnythingButEmptyAffix
    );
    assert!(matches!(
        err_at(
            r#"{"a":[{"anything-but":{"numeric":[">",1]}}]}"#,
            "a[0].anything-but.numeric"
        ),
        Rule::UnsupportedNesting { .. }
    ));
    assert!(matches!(
        err_at(
            r#"{"a":[{"anything-but":{"prefix":5}}]}"#,
            "a[0].anything-but.prefix"
        ),
        Rule::OperandType { .. }
    ));
    assert_eq!(
        err_at(
            r#"{"a":[{"anything-but":{"wildcard":"**"}}]}"#,
            "a[0].anything-but.wildcard"
        ),
        Rule::ConsecutiveWildcards(0)
    );
    assert!(matches!(
        err_at(r#"{"a":[{"anything-but":true}]}"#, "a[0].anything-but"),
        Rule::OperandType { .. }
    ));
}

// ---------------------------------------------------------------- numeric

#[test]
fn guide_numeric_ranges() {
    let p = r#"{"detail":{"c-count":[{"numeric":[">",0,"<=",5]}],"d-count":[{"numeric":["<",10]}],"x-limit":[{"numeric":["=",3.018e2]}]}}"#;
    let ev = json!({"detail":{"c-count":5,"d-count":3,"x-limit":301.8}});
    assert!(m(p, ev));
    assert!(!m(
        p,
        json!({"detail":{"c-count":0,"d-count":3,"x-limit":301.8}})
    ));
    assert!(!m(
        p,
        json!({"detail":{"c-count":6,"d-count":3,"x-limit":301.8}})
    ));
    assert!(!m(
        p,
        json!({"detail":{"c-count":1,"d-count":10,"x-limit":301.8}})
    ));
    assert!(!m(
        p,
        json!({"detail":{"c-count":1,"d-count":3,"x-limit":301.80001}})
    ));
    assert!(m(r#"{"a":[{"numeric":[">=",5]}]}"#, json!({"a":5})));
    assert!(!m(r#"{"a":[{"numeric":[">",5]}]}"#, json!({"a":5})));
    assert!(m(
        r#"{"a":[{"numeric":[">=",0,"<",1]}]}"#,
        json!({"a":0.999999})
    ));
    assert!(!m(r#"{"a":[{"numeric":[">=",0,"<",1]}]}"#, json!({"a":1})));
    assert!(m(r#"{"a":[{"numeric":["<=",-1]}]}"#, json!({"a":-1})));
    assert!(m(r#"{"a":[{"numeric":[">",1]}]}"#, json!({"a":[0,2]})));
}

#[test]
fn guide_numeric_only_json_numbers() {
    assert!(!m(r#"{"a":[{"numeric":[">",0]}]}"#, json!({"a":"5"})));
    assert!(!m(r#"{"a":[{"numeric":[">",0]}]}"#, json!({"a":true})));
    assert!(!m(r#"{"a":[{"numeric":[">",0]}]}"#, json!({"a":null})));
    // Glue crawler counters are strings: numeric never matches them
    assert!(!m(
        r#"{"detail":{"tablesCreated":[{"numeric":[">",0]}]}}"#,
        json!({"detail":{"tablesCreated":"3"}})
    ));
}

#[test]
fn guide_numeric_precision_six_decimals() {
    // six digits after the decimal point are distinguished
    let p = r#"{"a":[{"numeric":["=",0.000001]}]}"#;
    assert!(m(p, json!({"a":0.000001})));
    assert!(!m(p, json!({"a":0.000002})));
    assert!(!m(p, json!({"a":0})));
    assert!(m(
        r#"{"a":[{"numeric":[">",4999999999.999998]}]}"#,
        json!({"a":4999999999.999999})
    ));
    assert!(m(r#"{"a":[{"numeric":["=",0.3]}]}"#, json!({"a":0.3})));
    assert!(m(
        r#"{"a":[{"numeric":["=",5e9]}]}"#,
        json!({"a":5000000000u64})
    ));
    // operands with more than six decimals, or beyond ±5.0e9, are rejected
    assert!(matches!(
        err_at(r#"{"a":[{"numeric":["=",0.0000001]}]}"#, "a[0].numeric[1]"),
        Rule::NumericTooPrecise(_)
    ));
    assert!(matches!(
        err_at(r#"{"a":[{"numeric":["<",5000000001]}]}"#, "a[0].numeric[1]"),
        Rule::NumericOutOfRange(_)
    ));
    assert!(matches!(
        err_at(r#"{"a":[{"numeric":[">",-5.1e9]}]}"#, "a[0].numeric[1]"),
        Rule::NumericOutOfRange(_)
    ));
}

#[test]
fn numeric_event_values_compare_in_full_binary64() {
    // SEMANTICS.md: event values are not limited (event-ruler since its float64 change)
    assert!(m(r#"{"a":[{"numeric":[">",4e9]}]}"#, json!({"a":6e9})));
    assert!(m(r#"{"a":[{"numeric":[">",0]}]}"#, json!({"a":1e-9})));
}

#[test]
fn ruler_numeric_validation() {
    assert_eq!(
        err_at(r#"{"a":[{"numeric":[">","5"]}]}"#, "a[0].numeric[1]"),
        Rule::NumericNeedsNumber
    );
    assert!(
        err(r#"{"a":[{"numeric":[">","5"]}]}"#)
            .to_string()
            .contains("numeric operator needs a number")
    );
    assert_eq!(
        err_at(r#"{"a":[{"numeric":["!=",5]}]}"#, "a[0].numeric[0]"),
        Rule::NumericOperator("!=".into())
    );
    assert_eq!(
        err_at(r#"{"a":[{"numeric":[">",5,">",6]}]}"#, "a[0].numeric[2]"),
        Rule::NumericOperator(">".into())
    );
    assert_eq!(
        err_at(r#"{"a":[{"numeric":["<",5,"<",6]}]}"#, "a[0].numeric[2]"),
        Rule::NumericShape
    );
    assert_eq!(
        err_at(r#"{"a":[{"numeric":[">",6,"<",6]}]}"#, "a[0].numeric"),
        Rule::NumericEmptyRange
    );
    assert_eq!(
        err_at(r#"{"a":[{"numeric":[">",1,"<"]}]}"#, "a[0].numeric"),
        Rule::NumericShape
    );
    assert_eq!(
        err_at(r#"{"a":[{"numeric":5}]}"#, "a[0].numeric"),
        Rule::NumericShape
    );
}

// ---------------------------------------------------------------- cidr

#[test]
fn guide_cidr_ipv4_and_ipv6() {
    let p = r#"{"detail":{"sourceIPAddress":[{"cidr":"10.0.0.0/24"}]}}"#;
    assert!(m(p, json!({"detail":{"sourceIPAddress":"10.0.0.255"}})));
    assert!(m(p, json!({"detail":{"sourceIPAddress":"10.0.0.0"}})));
    assert!(!m(p, json!({"detail":{"sourceIPAddress":"10.0.1.1"}})));
    assert!(!m(p, json!({"detail":{"sourceIPAddress":"example.com"}})));
    assert!(!m(p, json!({"detail":{"sourceIPAddress":167772161}})));
    let v6 = r#"{"ip":[{"cidr":"2001:db8::/32"}]}"#;
    assert!(m(v6, json!({"ip":"2001:0db8:ffff::1"})));
    assert!(!m(v6, json!({"ip":"2001:0db9::1"})));
    assert!(!m(v6, json!({"ip":"10.0.0.1"})));
    assert!(matches!(
        err_at(r#"{"ip":[{"cidr":"10.0.0.0"}]}"#, "ip[0].cidr"),
        Rule::Cidr(_)
    ));
    assert!(matches!(
        err_at(r#"{"ip":[{"cidr":"10.0.0.0/40"}]}"#, "ip[0].cidr"),
        Rule::Cidr(_)
    ));
    assert!(matches!(
        err_at(r#"{"ip":[{"cidr":"host/8"}]}"#, "ip[0].cidr"),
        Rule::Cidr(_)
    ));
}

// ---------------------------------------------------------------- exists

#[test]
fn guide_exists_true_and_false() {
    let t = r#"{"detail":{"state":[{"exists":true}]}}"#;
    assert!(m(t, json!({"detail":{"state":"pending"}})));
    assert!(!m(t, json!({"detail":{"c-count":{"c1":100}}})));
    let f = r#"{"detail":{"c-count":[{"exists":false}]}}"#;
    assert!(m(f, json!({"detail":{"state":"x"}})));
    assert!(m(f, json!({})));
    assert!(!m(f, json!({"detail":{"c-count":5}})));
}

#[test]
fn guide_exists_is_leaf_only() {
    // "Exists matching only works on leaf nodes. It does not work on intermediate nodes."
    let f = r#"{"detail":{"c-count":[{"exists":false}]}}"#;
    assert!(m(f, json!({"detail":{"c-count":{"c1":100}}})));
    let t = r#"{"detail":{"c-count":[{"exists":true}]}}"#;
    assert!(!m(t, json!({"detail":{"c-count":{"c1":100}}})));
    // null and "" are leaf values; [] and {} are not
    assert!(m(t, json!({"detail":{"c-count":null}})));
    assert!(m(t, json!({"detail":{"c-count":""}})));
    assert!(!m(t, json!({"detail":{"c-count":[]}})));
    assert!(m(f, json!({"detail":{"c-count":[]}})));
    assert!(m(f, json!({"detail":{"c-count":{}}})));
    // exists on an intermediate node written as an object pattern is about its leaves
    assert!(m(
        r#"{"detail":{"c-count":{"c1":[{"exists":true}]}}}"#,
        json!({"detail":{"c-count":{"c1":100}}})
    ));
}

#[test]
fn exists_false_under_arrays_is_array_consistent() {
    // absence alone under an array must hold in every element
    let f = r#"{"a":{"b":[{"exists":false}]}}"#;
    assert!(!m(f, json!({"a":[{"b":1},{"c":2}]})));
    assert!(m(f, json!({"a":[{"c":1},{"c":2}]})));
    assert!(m(f, json!({"a":[]})));
    // next to a positive condition it is checked in the element that condition picked
    let g = r#"{"a":{"b":["1"],"c":[{"exists":false}]}}"#;
    assert!(m(g, json!({"a":[{"b":"1"},{"c":"2"}]})));
    assert!(!m(g, json!({"a":[{"b":"1","c":"2"}]})));
}

#[test]
fn exists_mixed_with_values_in_one_list() {
    let p = r#"{"a":["x",{"exists":false}]}"#;
    assert!(m(p, json!({"a":"x"})));
    assert!(m(p, json!({})));
    assert!(!m(p, json!({"a":"y"})));
}

// ---------------------------------------------------------------- $or

#[test]
fn guide_or_at_top_and_nested_levels() {
    let p = r#"{"detail":{"$or":[
        {"c-count":[{"numeric":[">",0,"<=",5]}]},
        {"d-count":[{"numeric":["<",10]}]},
        {"x-limit":[{"numeric":["=",3.018e2]}]}]}}"#;
    assert_eq!(Pattern::parse(p).unwrap().alternatives(), 3);
    assert!(m(p, json!({"detail":{"c-count":3}})));
    assert!(m(p, json!({"detail":{"d-count":3}})));
    assert!(m(p, json!({"detail":{"x-limit":301.8}})));
    assert!(!m(p, json!({"detail":{"c-count":9,"d-count":11}})));

    let q = r#"{"source":["aws.cloudwatch"],"$or":[{"metricName":["CPUUtilization"]},{"namespace":["AWS/EC2"]}]}"#;
    assert!(m(
        q,
        json!({"source":"aws.cloudwatch","namespace":"AWS/EC2"})
    ));
    assert!(!m(q, json!({"source":"aws.s3","namespace":"AWS/EC2"})));
    assert!(!m(q, json!({"source":"aws.cloudwatch"})));
}

#[test]
fn ruler_or_nested_and_parallel() {
    let nested = r#"{"source":["aws.cloudwatch"],"$or":[
        {"metricName":["CPUUtilization","ReadLatency"]},
        {"metricType":["MetricType"],"namespace":["AWS/EC2","AWS/ES"],
         "$or":[{"metricId":[1234]},{"spaceId":[1000]}]},
        {"scope":["Service"]}]}"#;
    assert_eq!(Pattern::parse(nested).unwrap().alternatives(), 4);
    let base = json!({"source":"aws.cloudwatch","metricType":"MetricType","namespace":"AWS/ES"});
    assert!(!m(nested, base.clone()));
    let mut with_space = base.clone();
    with_space["spaceId"] = json!(1000);
    assert!(m(nested, with_space));

    let parallel = r#"{"$or":[{"metricName":["CPU"]},{"namespace":["AWS/EC2"]}],
        "detail":{"$or":[{"source":["aws.cloudwatch"]},{"detail-type":["Alarm"]}]}}"#;
    assert_eq!(Pattern::parse(parallel).unwrap().alternatives(), 4);
    assert!(m(
        parallel,
        json!({"namespace":"AWS/EC2","detail":{"detail-type":"Alarm"}})
    ));
    assert!(!m(parallel, json!({"namespace":"AWS/EC2"})));
}

#[test]
fn guide_or_combination_limit_1000() {
    // 10 × 10 × 10 = 1000 is allowed, one more factor is not
    let alts = |k: &str| {
        let v: Vec<String> = (0..10).map(|i| format!(r#"{{"{k}":["{i}"]}}"#)).collect();
        format!(r#"{{"$or":[{}]}}"#, v.join(","))
    };
    let ok = format!(
        r#"{{"a":{},"b":{},"c":{}}}"#,
        alts("x"),
        alts("y"),
        alts("z")
    );
    assert_eq!(Pattern::parse(&ok).unwrap().alternatives(), 1000);
    let too_many = format!(
        r#"{{"a":{},"b":{},"c":{},"d":{{"$or":[{{"q":["1"]}},{{"r":["2"]}}]}}}}"#,
        alts("x"),
        alts("y"),
        alts("z")
    );
    let e = err(&too_many);
    assert_eq!(e.path, "d.$or");
    assert_eq!(
        e.rule,
        Rule::OverLimit {
            limit: crate::Limit::PatternMaxAlternatives,
            max: 1000,
            found: 2000
        }
    );
    assert_eq!(
        e.to_string(),
        "invalid event pattern at `d.$or`: `$or` expands to 2000 combinations, over the limit of \
         1000 combinations (pattern-max-alternatives)"
    );
}

#[test]
fn ruler_or_validation() {
    assert_eq!(err_at(r#"{"$or":[{"a":["1"]}]}"#, "$or"), Rule::OrTooFew);
    assert_eq!(err_at(r#"{"$or":{"a":["1"]}}"#, "$or"), Rule::OrNotArray);
    assert_eq!(
        err_at(r#"{"$or":[{"a":["1"]},"b"]}"#, "$or[1]"),
        Rule::OrElementNotObject
    );
    assert_eq!(
        err_at(r#"{"$or":[{"a":["1"]},{}]}"#, "$or[1]"),
        Rule::EmptyObject
    );
    assert_eq!(
        err_at(
            r#"{"$or":[{"numeric":[1]},{"prefix":["abc"]}]}"#,
            "$or[0].numeric"
        ),
        Rule::OrReservedField("numeric".into())
    );
}

#[test]
fn guide_duplicate_keys_last_reference_wins() {
    let p = r#"{"detail":{"location":[{"prefix":"us-"}],"location":[{"anything-but":"us-east"}]}}"#;
    assert!(m(p, json!({"detail":{"location":"eu-west"}})));
    assert!(!m(p, json!({"detail":{"location":"us-east"}})));
    // a later $or alternative overrides an earlier leaf on the same path
    let q = r#"{"a":["1"],"$or":[{"a":["2"]},{"b":["3"]}]}"#;
    assert!(m(q, json!({"a":"2"})));
    assert!(m(q, json!({"a":"1","b":"3"})));
    assert!(!m(q, json!({"a":"1"})));
    // two objects under one key are both applied
    let r = r#"{"detail":{"a":["1"]},"detail":{"b":["2"]}}"#;
    assert!(m(r, json!({"detail":{"a":"1","b":"2"}})));
    assert!(!m(r, json!({"detail":{"b":"2"}})));
}

#[test]
fn dotted_keys_are_literal_keys() {
    let p = r#"{"detail":{"runningTime (sec)":["7"],"a.b":["x"]}}"#;
    assert!(m(p, json!({"detail":{"runningTime (sec)":"7","a.b":"x"}})));
    assert!(!m(
        p,
        json!({"detail":{"runningTime (sec)":"7","a":{"b":"x"}}})
    ));
}

// ---------------------------------------------------------------- validation

#[test]
fn ruler_structure_validation() {
    assert!(matches!(err_at("not json", "<root>"), Rule::InvalidJson(_)));
    assert_eq!(err_at("[]", "<root>"), Rule::NotAnObject);
    assert_eq!(err_at("{}", "<root>"), Rule::EmptyObject);
    assert_eq!(err_at(r#"{"detail":{}}"#, "detail"), Rule::EmptyObject);
    assert_eq!(
        err_at(r#"{"detail":{"state":[]}}"#, "detail.state"),
        Rule::EmptyArray
    );
    assert_eq!(
        err_at(r#"{"source":"aws.glue"}"#, "source"),
        Rule::FieldNotObjectOrArray
    );
    assert_eq!(
        err_at(r#"{"detail":{"state":["a",["b"]]}}"#, "detail.state[1]"),
        Rule::BadMatchValue
    );
    assert_eq!(
        err_at(r#"{"a":[{"prefix":"x","suffix":"y"}]}"#, "a[0]"),
        Rule::OneKeyPerExpression
    );
    assert_eq!(
        err_at(r#"{"a":[{"contains":"x"}]}"#, "a[0].contains"),
        Rule::UnknownOperator("contains".into())
    );
    assert_eq!(
        err_at(r#"{"a":[{"exactly":"x"}]}"#, "a[0].exactly"),
        Rule::UnknownOperator("exactly".into())
    );
    assert_eq!(
        err_at(r#"{"a":[{"exists":"yes"}]}"#, "a[0].exists"),
        Rule::ExistsNotBool
    );
    assert!(matches!(
        err_at(r#"{"a":[{"prefix":{"suffix":"x"}}]}"#, "a[0].prefix.suffix"),
        Rule::UnsupportedNesting { .. }
    ));
    assert!(matches!(
        err_at(
            r#"{"a":[{"equals-ignore-case":1}]}"#,
            "a[0].equals-ignore-case"
        ),
        Rule::OperandType { .. }
    ));
    assert_eq!(
        err_at(r#"{"detail":{"state":[{}]}}"#, "detail.state[0]"),
        Rule::EmptyObject
    );
    let e = err(r#"{"weird key":{"x":[]}}"#);
    assert_eq!(e.path, r#"["weird key"].x"#);
}

#[test]
fn error_message_names_path_and_rule() {
    let e = err(r#"{"detail":{"state":["ok",{"numeric":[">","1"]}]}}"#);
    assert_eq!(
        e.to_string(),
        "invalid event pattern at `detail.state[1].numeric[1]`: numeric operator needs a number"
    );
    let mut b = PatternSetBuilder::new();
    let e = b
        .add(1, &[r#"{"a":["1"]}"#.to_owned(), r#"{"a":"1"}"#.to_owned()])
        .unwrap_err();
    assert_eq!(e.pattern, Some(1));
    assert!(
        e.to_string().starts_with("invalid event pattern #1 at `a`"),
        "{e}"
    );
}

// ---------------------------------------------------------------- explain

#[test]
fn explain_names_the_failing_field() {
    let p = Pattern::parse(r#"{"source":["aws.glue"],"detail":{"state":["SUCCEEDED"]}}"#).unwrap();
    let ev = json!({"source":"aws.glue","detail":{"state":"FAILED"}});
    let Explanation::NoMatch(f) = p.explain(&ev) else {
        panic!("should not match")
    };
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].path, "detail.state");
    assert_eq!(f[0].expected, r#"["SUCCEEDED"]"#);
    assert_eq!(f[0].found, r#""FAILED""#);
    assert_eq!(
        p.explain(&ev).to_string(),
        r#"no match: `detail.state`: expected ["SUCCEEDED"], found "FAILED""#
    );
    assert!(
        p.explain(&json!({"detail":{"state":"SUCCEEDED"}}))
            .to_string()
            .contains("`source`: expected [\"aws.glue\"], found no such field")
    );
    assert!(
        p.explain(&json!({"source":"aws.glue","detail":{"state":"SUCCEEDED"}}))
            .is_match()
    );
}

#[test]
fn explain_or_lists_each_alternative_and_array_elements() {
    let p = Pattern::parse(r#"{"$or":[{"a":["1"]},{"b":{"c":[{"numeric":[">",5]}]}}]}"#).unwrap();
    let text = p.explain(&json!({"a":"2","b":[{"c":1}]})).to_string();
    assert!(text.contains("none of the 2 `$or` alternatives"), "{text}");
    assert!(
        text.contains("`a`: expected [\"1\"], found \"2\""),
        "{text}"
    );
    assert!(text.contains("`b[0].c`"), "{text}");
    let q = Pattern::parse(r#"{"a":{"b":["x"]}}"#).unwrap();
    assert!(
        q.explain(&json!({"a":{"b":{"c":1}}}))
            .to_string()
            .contains("an object")
    );
    assert!(
        q.explain(&json!({"x":1}))
            .to_string()
            .contains("no such field")
    );
}

// ---------------------------------------------------------------- the set

#[test]
fn set_returns_sorted_deduplicated_exact_candidates() {
    let mut b = PatternSetBuilder::new();
    b.add(
        5,
        &[
            r#"{"detail":{"state":["FAILED"]}}"#,
            r#"{"detail":{"state":["TIMEOUT"]}}"#,
        ],
    )
    .unwrap();
    b.add(2, &[r#"{"source":["aws.glue"]}"#]).unwrap();
    b.add(9, &[] as &[&str]).unwrap();
    // anchored on source; state checked exactly
    b.add(
        3,
        &[r#"{"source":["aws.glue"],"detail":{"state":[{"anything-but":"FAILED"}]}}"#],
    )
    .unwrap();
    // nothing to pre-filter on: checked on every event
    b.add(4, &[r#"{"detail":{"n":[{"numeric":[">",1]}]}}"#])
        .unwrap();
    // one plugin, $or that matches twice
    b.add(
        1,
        &[r#"{"$or":[{"source":["aws.glue"]},{"detail":{"state":["FAILED"]}}]}"#],
    )
    .unwrap();
    let set = b.build();
    let st = set.stats();
    assert_eq!(st.plugins, 6);
    assert_eq!(st.match_all, 1);
    assert_eq!(st.alternatives, 7);
    assert_eq!(st.unindexed, 1);

    let mut out = Vec::new();
    let ev = json!({"source":"aws.glue","detail":{"state":"FAILED","n":2}});
    set.candidates(&ev, &mut out);
    assert_eq!(out, vec![1, 2, 4, 5, 9]);
    let ev = json!({"source":"aws.s3","detail":{"state":"TIMEOUT"}});
    set.candidates(&ev, &mut out);
    assert_eq!(out, vec![5, 9]);
    let ev = json!({"source":"aws.glue","detail":{"state":"RUNNING"}});
    set.candidates(&ev, &mut out);
    assert_eq!(out, vec![1, 2, 3, 9]);
}

#[test]
fn set_is_send_sync_and_empty_by_default() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<crate::PatternSet>();
    assert_send_sync::<Pattern>();
    let mut out = vec![1];
    crate::PatternSet::default().candidates(&json!({"a":1}), &mut out);
    assert!(out.is_empty());
}
