#[cfg(test)]
mod probe {
    use quamina::Quamina;
    fn m(p: &str, e: &str) -> bool {
        let mut q = Quamina::<u32>::new();
        q.add_pattern(1, p).unwrap();
        !q.matches_for_event(e.as_bytes()).unwrap().is_empty()
    }
    #[test]
    fn probe() {
        let cases = [
            (r#"{"a":["A"]}"#, r#"{"a":"\u0041"}"#),
            (r#"{"a":["\u0041"]}"#, r#"{"a":"A"}"#),
            (r#"{"a":[300]}"#, r#"{"a":300.0}"#),
            (r#"{"a":[300]}"#, r#"{"a":3e2}"#),
            (r#"{"a":[300]}"#, r#"{"a":"300"}"#),
            (r#"{"a":["x"]}"#, r#"{"a":["y","x"]}"#),
            (r#"{"a":{"b":["x"],"c":["y"]}}"#, r#"{"a":[{"b":"x"},{"c":"y"}]}"#),
            (r#"{"a":{"b":["x"],"c":["y"]}}"#, r#"{"a":[{"b":"x","c":"y"}]}"#),
            (r#"{"a":[null]}"#, r#"{"a":null}"#),
            (r#"{"a":[{"prefix":"ab"}]}"#, r#"{"a":"abc"}"#),
            (r#"{"a":[{"prefix":"ab"}]}"#, r#"{"a":["zz","abc"]}"#),
            (r#"{"a":[{"suffix":"bc"}]}"#, r#"{"a":"abc"}"#),
            (r#"{"a":[{"wildcard":"a*c"}]}"#, r#"{"a":"abbbc"}"#),
            (r#"{"a":[{"wildcard":"a\\*c"}]}"#, r#"{"a":"a*c"}"#),
            (r#"{"a":[{"prefix":"é"}]}"#, r#"{"a":"\u00e9t\u00e9"}"#),
            (r#"{"a":["x"]}"#, r#"{"a":[["x"]]}"#),
            (r#"{"a":["x"]}"#, r#"{"a":"x","a":"y"}"#),
            (r#"{"a":{"b":["x"]}}"#, r#"{"a":[[{"b":"x"}]]}"#),
            (r#"{"a.b":["x"]}"#, r#"{"a":{"b":"x"}}"#),
            (r#"{"a":[true]}"#, r#"{"a":true}"#),
            (r#"{"a":[""]}"#, r#"{"a":""}"#),
            (r#"{"a":[{"prefix":""}]}"#, r#"{"a":"zz"}"#),
        ];
        for (p, e) in cases {
            eprintln!("{p:45} {e:40} => {}", m(p, e));
        }
    }
}
