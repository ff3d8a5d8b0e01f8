//! Random patterns and events: the candidate index (anchors + exact check) must give
//! exactly the plugins that a scan with `Pattern::matches` gives.

use glue_rules_patterns::{Pattern, PatternSetBuilder};
use serde_json::{Map, Value, json};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const KEYS: &[&str] = &["a", "b", "c", "a.b"];
const STRINGS: &[&str] = &["x", "xy", "yx", "X", "", "a*b", "é", "10.0.0.7"];

fn scalar(r: &mut Rng) -> Value {
    match r.below(9) {
        0 => json!(0),
        1 => json!(1.5),
        2 => json!(-2),
        3 => json!(true),
        4 => Value::Null,
        _ => json!(r.pick(STRINGS)),
    }
}

fn event_value(r: &mut Rng, depth: usize) -> Value {
    match r.below(if depth == 0 { 3 } else { 6 }) {
        0..=2 => scalar(r),
        3 => {
            let n = r.below(3);
            Value::Array((0..n).map(|_| event_value(r, depth - 1)).collect())
        }
        _ => event_object(r, depth - 1),
    }
}

fn event_object(r: &mut Rng, depth: usize) -> Value {
    let mut m = Map::new();
    for _ in 0..r.below(4) {
        m.insert(r.pick(KEYS).to_string(), event_value(r, depth));
    }
    Value::Object(m)
}

fn matcher(r: &mut Rng, safe: bool) -> Value {
    if safe {
        // only indexable conditions, so that the anchor choice is exercised more
        return match r.below(8) {
            0 => json!({"prefix": r.pick(&["x", "", "y", "é"])}),
            1 => json!({"suffix": r.pick(&["y", "x", "é"])}),
            2 => json!({"wildcard": r.pick(&["x*", "*y", "*", "a\\*b", "*x*", "x*y", "yx"])}),
            3 => json!({"equals-ignore-case": r.pick(&["x", "xY", "É"])}),
            _ => scalar(r),
        };
    }
    match r.below(16) {
        0 => json!({"prefix": r.pick(&["x", "", "y"])}),
        1 => json!({"suffix": r.pick(&["y", "x"])}),
        2 => json!({"wildcard": r.pick(&["x*", "*y", "*", "a\\*b", "*x*"])}),
        3 => json!({"equals-ignore-case": r.pick(&["x", "xY", "É"])}),
        4 => json!({"anything-but": r.pick(STRINGS)}),
        5 => json!({"anything-but": {"prefix": "x"}}),
        6 => json!({"exists": r.below(2) == 0}),
        7 => json!({"numeric": [">", 0]}),
        8 => json!({"numeric": [">=", -2, "<", 1.5]}),
        9 => json!({"cidr": "10.0.0.0/24"}),
        10 => json!({"prefix": {"equals-ignore-case": "X"}}),
        _ => scalar(r),
    }
}

fn pattern_object(r: &mut Rng, depth: usize, safe: bool) -> Value {
    let mut m = Map::new();
    let n = 1 + r.below(2);
    for _ in 0..n {
        let key = r.pick(KEYS).to_string();
        let v = if depth > 0 && r.below(3) == 0 {
            pattern_object(r, depth - 1, safe)
        } else {
            Value::Array((0..1 + r.below(2)).map(|_| matcher(r, safe)).collect())
        };
        m.insert(key, v);
    }
    if depth > 0 && r.below(6) == 0 {
        m.insert(
            "$or".into(),
            json!([
                pattern_object(r, depth - 1, safe),
                pattern_object(r, depth - 1, safe)
            ]),
        );
    }
    Value::Object(m)
}

#[test]
fn index_equals_scan() {
    let mut r = Rng(0x9e37_79b9_7f4a_7c15);
    let mut checked = 0;
    let mut matched = 0;
    for round in 0..60 {
        let safe = round % 2 == 0;
        let mut b = PatternSetBuilder::new();
        let mut plugins: Vec<(usize, Vec<Pattern>)> = Vec::new();
        for id in 0..25 {
            let texts: Vec<String> = (0..1 + r.below(2))
                .map(|_| pattern_object(&mut r, 2, safe).to_string())
                .filter(|t| Pattern::parse(t).is_ok())
                .collect();
            if texts.is_empty() {
                continue;
            }
            b.add(id, &texts).unwrap();
            plugins.push((
                id,
                texts.iter().map(|t| Pattern::parse(t).unwrap()).collect(),
            ));
        }
        let set = b.build();
        let mut out = Vec::new();
        for _ in 0..150 {
            let event = event_object(&mut r, 3);
            set.candidates(&event, &mut out);
            let expected: Vec<usize> = plugins
                .iter()
                .filter(|(_, ps)| ps.iter().any(|p| p.matches(&event)))
                .map(|(id, _)| *id)
                .collect();
            // The host passes a Document, parsed once: it must read exactly as the Value.
            let mut from_doc = Vec::new();
            set.candidates(
                &glue_rules_patterns::Document::from_value(&event),
                &mut from_doc,
            );
            assert_eq!(
                from_doc, out,
                "the Document and the Value disagree on {event}"
            );
            if out != expected {
                let culprits: Vec<String> = plugins
                    .iter()
                    .filter(|(id, _)| out.contains(id) != expected.contains(id))
                    .flat_map(|(_, ps)| ps.iter().map(|p| p.source().to_owned()))
                    .collect();
                panic!("event {event}\nindex {out:?}\nscan  {expected:?}\npatterns {culprits:#?}");
            }
            checked += 1;
            matched += expected.len();
        }
    }
    assert!(
        matched > checked / 4,
        "too few matches ({matched}) to be a useful test"
    );
}
