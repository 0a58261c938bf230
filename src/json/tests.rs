//! Canonical JSON against Python's `json.dumps`, its float repr and the
//! canonical check.

use super::canonical::*;
use super::canonical_check::*;
use super::python_float::*;
use proptest::prelude::*;
use serde_json::json;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Mutex, OnceLock};

fn canonical_of_text(text: &str) -> Result<String, NonFinite> {
    let value: Value = serde_json::from_str(text).expect("test input is JSON");
    canonical_json(&value)
}

fn repr(f: f64) -> String {
    let mut out = String::new();
    write_python_float(&mut out, f);
    out
}

fn escaped(s: &str) -> String {
    let mut out = String::new();
    write_json_string(&mut out, s);
    out
}

#[test]
fn strings_escape_like_python_ensure_ascii() {
    assert_eq!(escaped("plain / text"), r#""plain / text""#);
    assert_eq!(escaped("q\"b\\"), r#""q\"b\\""#);
    assert_eq!(escaped("\n\r\t\u{8}\u{c}"), r#""\n\r\t\b\f""#);
    assert_eq!(escaped("\u{0}\u{1f}\u{7f}"), r#""\u0000\u001f\u007f""#);
    assert_eq!(escaped("é✓"), r#""\u00e9\u2713""#);
    assert_eq!(escaped("𝄞"), r#""\ud834\udd1e""#);
    assert_eq!(escaped("\u{ffff}\u{10ffff}"), r#""\uffff\udbff\udfff""#);
    assert_eq!(escaped("a\u{e9}b\u{1}c"), r#""a\u00e9b\u0001c""#);
    assert_eq!(escaped(""), r#""""#);
}

#[test]
fn floats_print_as_python_repr() {
    let cases: &[(f64, &str)] = &[
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (1.0, "1.0"),
        (2.5, "2.5"),
        (100.0, "100.0"),
        (0.1, "0.1"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (1e-7, "1e-07"),
        (1.5e-7, "1.5e-07"),
        (1e15, "1000000000000000.0"),
        (1e16, "1e+16"),
        (1.5e300, "1.5e+300"),
        (123456789012345678.0, "1.2345678901234568e+17"),
        (9999999999999998.0, "9999999999999998.0"),
        (f64::MAX, "1.7976931348623157e+308"),
        (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
        (5e-324, "5e-324"),
        (-1.25e-10, "-1.25e-10"),
        (1234.5678, "1234.5678"),
        (0.000123, "0.000123"),
    ];
    for &(f, expected) in cases {
        assert_eq!(repr(f), expected, "repr of {f:e}");
    }
}

#[test]
fn numbers_keep_python_int_float_distinction() {
    let text = r#"[0,-0,12345678901234567890123,-5,1.0,-0.0,1e2,1E-5,-0e0,2.50]"#;
    assert_eq!(
        canonical_of_text(text).unwrap(),
        "[0,0,12345678901234567890123,-5,1.0,-0.0,100.0,1e-05,-0.0,2.5]"
    );
    assert_eq!(canonical_json(&json!(1.0)).unwrap(), "1.0");
    assert_eq!(
        canonical_json(&json!(u64::MAX)).unwrap(),
        "18446744073709551615"
    );
    assert_eq!(
        canonical_json(&json!(i64::MIN)).unwrap(),
        "-9223372036854775808"
    );
}

#[test]
fn non_finite_numbers_are_rejected() {
    for text in ["1e400", "[-1e999]", r#"{"a":{"b":1.8e308}}"#] {
        let err = canonical_of_text(text).unwrap_err();
        assert!(err.to_string().contains("not a finite float"), "{err}");
    }
    assert_eq!(canonical_of_text("1e-400").unwrap(), "0.0");
}

#[test]
fn keys_sort_by_code_point_at_every_depth() {
    let text = r#"{"b":1,"a":{"z":[{"y":1,"x":2}],"é":0,"e":0,"𝄞":0,"\uffff":0,"A":0}}"#;
    assert_eq!(
        canonical_of_text(text).unwrap(),
        r#"{"a":{"A":0,"e":0,"z":[{"x":2,"y":1}],"\u00e9":0,"\uffff":0,"\ud834\udd1e":0},"b":1}"#
    );
}

#[test]
fn unsorted_maps_are_sorted_even_when_built_by_hand() {
    let mut map = serde_json::Map::new();
    map.insert("b".into(), json!(1));
    map.insert("a".into(), json!(2));
    assert_eq!(
        canonical_json(&Value::Object(map)).unwrap(),
        r#"{"a":2,"b":1}"#
    );
}

#[test]
fn vector_payload_canonical_form() {
    let text = r#"{"zeta":1,"action_id":"billing.invoice.create","result":"allow","policy_id":"allow-billing","nested":{"b":[1,2.5,true,null],"a":-17,"big":12345678901234567890,"small":1e-07,"ctl":"\u0001\u001f"}}"#;
    assert_eq!(
        canonical_of_text(text).unwrap(),
        r#"{"action_id":"billing.invoice.create","nested":{"a":-17,"b":[1,2.5,true,null],"big":12345678901234567890,"ctl":"\u0001\u001f","small":1e-07},"policy_id":"allow-billing","result":"allow","zeta":1}"#
    );
}

#[test]
fn is_canonical_accepts_canonical_text() {
    for text in [
        "{}",
        "[]",
        "null",
        r#"{"a":[1,-2,0,1.5,-0.0,1e-05,1e+16,"x\"\\\n\u0001\u007f\u00e9\ud834\udd1e"],"b":{}}"#,
        r#"{"A":1,"e":2,"\u00e9":3,"\uffff":4,"\ud834\udd1e":5}"#,
    ] {
        assert!(is_canonical(text), "{text}");
    }
}

#[test]
fn is_canonical_rejects_what_python_would_rewrite() {
    for text in [
        r#"{"a": 1}"#,
        r#" {}"#,
        r#"{"b":1,"a":2}"#,
        r#"{"a":1,"a":1}"#,
        r#"{"\u00e9":1,"z":2}"#,
        r#"{"\ud834\udd1e":1,"\uffff":2}"#,
        r#""é""#,
        r#""\/""#,
        r#""\u000a""#,
        r#""\u00E9""#,
        r#""\u0041""#,
        r#""\ud834""#,
        r#""\udd1e""#,
        r#""\ud834\u0041""#,
        "-0",
        "01",
        "1.50",
        "1e5",
        "1E-05",
        "1.0e+16",
        "1e400",
        "[1,]",
        "{",
        "\"abc",
        "nul",
        "",
        "[1]]",
    ] {
        assert!(!is_canonical(text), "{text}");
    }
    assert!(is_canonical("100"));
    assert!(is_canonical("1e+16"));
}

#[test]
fn deep_nesting_is_left_to_the_full_parser() {
    let deep = "[".repeat(100_000) + &"]".repeat(100_000);
    assert!(!is_canonical(&deep));
    let shallow = "[".repeat(MAX_CHECKED_DEPTH) + &"]".repeat(MAX_CHECKED_DEPTH);
    assert!(is_canonical(&shallow));
}

/// One `python3` for the whole test run, answering one line per line.
struct PythonOracle {
    _child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

const ORACLE_SCRIPT: &str = r#"
import json, sys
for raw in sys.stdin.buffer:
    v = json.loads(raw.decode("utf-8"))
    sys.stdout.write(json.dumps(v, sort_keys=True, separators=(",", ":")) + "\n")
    sys.stdout.flush()
"#;

impl PythonOracle {
    fn start() -> Self {
        let mut child = Command::new("python3")
            .args(["-c", ORACLE_SCRIPT])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 must be installed to run the canonical JSON tests");
        let stdin = child.stdin.take().expect("piped stdin");
        let stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
        PythonOracle {
            _child: child,
            stdin,
            stdout,
        }
    }

    fn canonical(&mut self, json_text: &str) -> String {
        writeln!(self.stdin, "{json_text}").expect("write to python3");
        self.stdin.flush().expect("flush to python3");
        let mut line = String::new();
        self.stdout.read_line(&mut line).expect("read from python3");
        assert!(line.ends_with('\n'), "python3 failed on {json_text}");
        line.pop();
        line
    }
}

fn python_canonical(json_text: &str) -> String {
    static ORACLE: OnceLock<Mutex<PythonOracle>> = OnceLock::new();
    let oracle = ORACLE.get_or_init(|| Mutex::new(PythonOracle::start()));
    let mut guard = oracle
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    guard.canonical(json_text)
}

fn arb_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => proptest::char::range(' ', '~'),
        2 => proptest::char::range('\u{0}', '\u{1f}'),
        1 => Just('\u{7f}'),
        1 => prop::sample::select(vec!['"', '\\', '/', 'é', '✓', '\u{2028}', '\u{feff}']),
        2 => proptest::char::range('\u{80}', '\u{ffff}'),
        2 => proptest::char::range('\u{10000}', '\u{10ffff}'),
    ]
}

fn arb_string() -> impl Strategy<Value = String> {
    prop::collection::vec(arb_char(), 0..12).prop_map(|chars| chars.into_iter().collect())
}

fn arb_integer_literal() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|i| i.to_string()),
        any::<u64>().prop_map(|u| u.to_string()),
        Just("-0".to_owned()),
        "-?[1-9][0-9]{19,60}",
    ]
}

fn arb_float_literal() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        (-1e20f64..1e20).prop_map(|f| format!("{f}")),
        (-1e-3f64..1e-3).prop_map(|f| format!("{f:?}")),
        // Hand-written literals: rounding, overflow to inf, underflow to 0.
        "-?(0|[1-9][0-9]{0,25})(\\.[0-9]{1,25})?[eE][-+]?[0-9]{1,3}",
        "-?(0|[1-9][0-9]{0,25})\\.[0-9]{1,25}",
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    let number = prop_oneof![arb_integer_literal(), arb_float_literal()].prop_map(|literal| {
        Value::Number(serde_json::from_str(&literal).expect("generated a JSON number"))
    });
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number,
        arb_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((arb_string(), inner), 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// Doubles where shortest-digit ties are common: small dyadic fractions
/// at magnitudes where they need 15-17 digits, plus random bit patterns.
fn tie_prone_floats() -> Vec<f64> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut floats = vec![
        563000000000000.0 + 0.25, // an exact tie: Python prints …0.2
        0.5,
        2.5,
        1e22,
        1e21,
        9007199254740992.0,
        9007199254740994.0,
    ];
    for _ in 0..20_000 {
        let r = next();
        let mantissa = (r >> 11) as f64;
        let shift = (r % 80) as i32 - 10;
        floats.push(mantissa * 2f64.powi(-shift));
        floats.push(f64::from_bits(next()));
        let integer = (next() % 1_000_000_000_000_000) as f64;
        floats.push(integer + [0.25, 0.5, 0.125, 0.375, 0.0625][(r % 5) as usize]);
    }
    floats.retain(|f| f.is_finite());
    floats
}

#[test]
fn float_repr_matches_python_on_tie_prone_values() {
    let floats = tie_prone_floats();
    for chunk in floats.chunks(2000) {
        let ours: Vec<String> = chunk.iter().map(|&f| repr(f)).collect();
        let text = format!("[{}]", ours.join(","));
        let expected = python_canonical(&text);
        let theirs: Vec<&str> = expected[1..expected.len() - 1].split(',').collect();
        for ((f, ours), theirs) in chunk.iter().zip(&ours).zip(theirs) {
            assert_eq!(ours, theirs, "repr of {:?} (bits {:#x})", f, f.to_bits());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(crate::test_support::fuzz_cases(2000)))]

    #[test]
    fn matches_python_json_dumps(value in arb_json()) {
        let text = serde_json::to_string(&value).expect("serializable");
        let python = python_canonical(&text);
        match canonical_json(&value) {
            Ok(ours) => prop_assert_eq!(ours, python),
            Err(_) => prop_assert!(
                python.contains("Infinity"),
                "we rejected a finite value: {} -> {}", text, python
            ),
        }
    }

    #[test]
    fn canonical_form_is_a_fixpoint(value in arb_json()) {
        if let Ok(canonical) = canonical_json(&value) {
            let reparsed: Value = serde_json::from_str(&canonical).expect("canonical is JSON");
            prop_assert_eq!(canonical_json(&reparsed), Ok(canonical.clone()));
            prop_assert!(is_canonical(&canonical), "not recognized: {}", canonical);
        }
    }

    #[test]
    fn is_canonical_iff_reserialization_is_identical(value in arb_json()) {
        // serde_json's own output is canonical only sometimes (raw UTF-8,
        // number spelling), which exercises both answers.
        let text = serde_json::to_string(&value).expect("serializable");
        let reparsed: Value = serde_json::from_str(&text).expect("JSON");
        let identical = canonical_json(&reparsed).as_deref() == Ok(text.as_str());
        prop_assert_eq!(is_canonical(&text), identical, "{}", text);
    }
}
