use super::*;
use proptest::prelude::*;

const SESSION: &str = "01936f2a-7c00-7000-8000-000000000001";

/// What serde reads from `text`, as the request paths compare it.
fn serde_reading(text: &str) -> Option<Wire<'_>> {
    serde_json::from_str::<Object<Wire<'_>>>(text)
        .ok()
        .map(|Object(wire)| wire)
}

#[test]
fn reads_the_benchmark_request_and_the_spec_template() {
    let requests = [
        format!(
            "{{\"carp_version\":\"1.0\",\"request_id\":\"req-1\",\"timestamp\":\"2026-11-28T12:00:00Z\",\
             \"operation\":\"resolve\",\"requester\":{{\"agent_id\":\"a\",\"session_id\":\"{SESSION}\"}},\
             \"task\":{{\"goal\":\"Reply\",\"risk_tier\":\"low\"}}}}"
        ),
        format!(
            "{{\"carp_version\": \"1.0\", \"request_id\": \"r\", \"timestamp\": \"t\",\n \
             \"operation\": \"resolve\",\n \
             \"requester\": {{\"agent_id\": \"a\", \"session_id\": \"{SESSION}\", \"parent_session_id\": null}},\n \
             \"task\": {{\"goal\": \"g\", \"risk_tier\": \"low\", \"context_hints\": [],\n \
             \"required_capabilities\": []}},\n \"atlas_ids\": [], \"context\": {{}}}}\n"
        ),
    ];
    for text in &requests {
        let fast = scan(text);
        assert!(fast.is_some(), "{text}");
        assert_eq!(fast, serde_reading(text));
    }
}

proptest! {
    #[test]
    fn a_key_starts_exactly_the_texts_that_start_with_it(
        member in 0..TASK_MEMBERS.len() + REQUESTER_MEMBERS.len(),
        cut in 0usize..30,
        tail in "[a-z\":{}]{0,20}",
    ) {
        let key = match TASK_MEMBERS.get(member) {
            Some((key, _)) => key,
            None => &REQUESTER_MEMBERS[member - TASK_MEMBERS.len()].0,
        };
        // The key or a part of it, and then anything.
        let mut text = key.compact.as_bytes()[..cut.min(key.compact.len())].to_vec();
        text.extend_from_slice(tail.as_bytes());
        prop_assert_eq!(key.starts(&text), text.starts_with(key.compact.as_bytes()));
    }
}

#[test]
fn each_key_is_its_name_quoted_with_a_colon() {
    let keys = REQUEST_MEMBERS.iter().map(|(key, _)| key);
    let keys = keys.chain(REQUESTER_MEMBERS.iter().map(|(key, _)| key));
    for key in keys.chain(TASK_MEMBERS.iter().map(|(key, _)| key)) {
        assert_eq!(format!("\"{}\":", key.name()), key.compact);
        assert!(key
            .name()
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte == b'_'));
    }
}

#[test]
fn gives_up_on_what_it_does_not_read_itself() {
    let good = format!(
        "{{\"carp_version\":\"1.0\",\"request_id\":\"r\",\"timestamp\":\"t\",\"operation\":\"resolve\",\
         \"requester\":{{\"agent_id\":\"a\",\"session_id\":\"{SESSION}\"}},\"task\":{{\"goal\":\"g\"}}}}"
    );
    assert!(scan(&good).is_some());
    let variants = [
        good.replace("\"r\"", "\"r\\n\""),                     // an escape
        good.replace("\"g\"", "\"g\u{1}\""),                   // a control character
        good.replace("\"t\",", "\"t\",\"extra\":1,"),          // an unknown member
        good.replace("\"r\",", "\"r\",\"request_id\":\"s\","), // a repeated member
        good.replace("\"timestamp\":\"t\",", ""),              // a missing member
        good.replace("{\"goal\":\"g\"}", "{\"goal\":5}"),      // a mistyped member
        good.replace("}}", "},\"context\":{\"x\":1}}"),        // a non-empty context
        format!("{good} x"),                                   // trailing text
        good.replace("}}", "}"),                               // cut short
    ];
    for text in &variants {
        assert!(scan(text).is_none(), "{text}");
    }
}

/// JSON texts of string values; unless `plain`, some of them are
/// left to serde by the scanner.
fn string_value(plain: bool) -> BoxedStrategy<String> {
    let simple = "[a-z0-9 .:-]{0,12}".prop_map(|s| format!("\"{s}\""));
    if plain {
        return simple.boxed();
    }
    let tricky = prop::sample::select(vec![
        "\"\"",
        "\"é ✓\"",
        "\"a\\\"b\"",
        "\"\\u0041\"",
        "\"tab\there\"",
        "\"nl\\n\"",
        "\"ctl\u{1}\"",
        "\"back\\\\\"",
        "\"unterminated",
    ]);
    prop_oneof![4 => simple, 1 => tricky.prop_map(str::to_owned)].boxed()
}

/// JSON texts of any value a member might hold, well formed or not.
fn odd_value() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "null",
        "nul",
        "true",
        "12",
        "-1.5e3",
        "[]",
        "[\"a\", \"b\"]",
        "[\"a\",1]",
        "[\"a\",]",
        "[",
        "{}",
        "{ }",
        "{\"a\":1}",
        "{",
        "\"x\"",
        "\"\\u00e9\"",
    ])
    .prop_map(str::to_owned)
}

/// The strategies of one run: `plain` ones produce only what the
/// scanner reads itself.
#[derive(Clone, Copy)]
struct Shapes {
    plain: bool,
}

impl Shapes {
    fn value(self, good: BoxedStrategy<String>) -> BoxedStrategy<String> {
        if self.plain {
            return good;
        }
        prop_oneof![8 => good, 2 => string_value(false), 1 => odd_value()].boxed()
    }

    fn text(self, good: &'static str) -> BoxedStrategy<String> {
        self.value(Just(format!("\"{good}\"")).boxed())
    }

    fn string(self) -> BoxedStrategy<String> {
        self.value(string_value(self.plain))
    }

    fn strings(self) -> BoxedStrategy<String> {
        let array = prop::collection::vec(string_value(self.plain), 0..3)
            .prop_map(|items| format!("[{}]", items.join(",")));
        self.value(prop_oneof![3 => array, 1 => Just("null".to_owned())].boxed())
    }

    /// An object of `members`, in their order (as hosts send them) or
    /// a random one; optional ones may be left out, and unless plain,
    /// any may be, or come twice, or have its key spelled otherwise
    /// (see [`spelled`]), or an unknown member may join.
    fn object(
        self,
        members: Vec<(&'static str, bool, BoxedStrategy<String>)>,
    ) -> BoxedStrategy<String> {
        let count = members.len();
        let spelling = if self.plain {
            Just(0).boxed()
        } else {
            prop_oneof![12 => Just(0), 1 => 1..4usize].boxed()
        };
        let values: Vec<_> = members
            .into_iter()
            .map(|(key, required, value)| {
                let value = if required && self.plain {
                    value.prop_map(Some).boxed()
                } else {
                    prop::option::weighted(0.85, value).boxed()
                };
                (Just(key), value, spelling.clone())
            })
            .collect();
        let extra = if self.plain {
            Just(None).boxed()
        } else {
            prop::option::weighted(0.15, (0..count, odd_value())).boxed()
        };
        let in_order = Just((0..count).collect::<Vec<_>>());
        let order = prop_oneof![in_order.clone(), in_order.prop_shuffle()];
        (values, order, extra)
            .prop_map(|(values, order, extra)| {
                let mut parts: Vec<String> = order
                    .iter()
                    .filter_map(|&i| {
                        let (key, value, spelling) = &values[i];
                        let value = value.as_ref()?;
                        Some(format!("{}:{value}", spelled(key, *spelling)))
                    })
                    .collect();
                if let Some((position, value)) = extra {
                    let key = if position % 2 == 0 {
                        values[position].0
                    } else {
                        "unknown"
                    };
                    parts.insert(position.min(parts.len()), format!("\"{key}\":{value}"));
                }
                format!("{{{}}}", parts.join(","))
            })
            .boxed()
    }

    fn request(self) -> BoxedStrategy<String> {
        let requester = self.object(vec![
            ("agent_id", true, self.string()),
            ("session_id", true, self.text(SESSION)),
            (
                "parent_session_id",
                false,
                self.value(Just("null".to_owned()).boxed()),
            ),
        ]);
        let task = self.object(vec![
            ("goal", true, self.string()),
            ("risk_tier", false, self.text("high")),
            ("context_hints", false, self.strings()),
            ("required_capabilities", false, self.strings()),
        ]);
        self.object(vec![
            ("carp_version", true, self.text("1.0")),
            ("request_id", true, self.string()),
            ("timestamp", true, self.text("2026-11-28T12:00:00Z")),
            ("operation", true, self.text("resolve")),
            ("requester", true, self.value(requester)),
            ("task", true, self.value(task)),
            ("atlas_ids", false, self.strings()),
            ("context", false, self.value(Just("{}".to_owned()).boxed())),
        ])
    }
}

/// The JSON text of the key `name`: as is (`spelling` 0), with an
/// escape that serde reads as `name` (1), or as a longer (2) or a
/// shorter (3) name, which no member has.
fn spelled(name: &str, spelling: usize) -> String {
    match spelling {
        0 => format!("\"{name}\""),
        1 => format!("\"\\u{:04x}{}\"", name.as_bytes()[0], &name[1..]),
        2 => format!("\"{name}s\""),
        _ => format!("\"{}\"", &name[..name.len() - 1]),
    }
}

/// Spreads JSON whitespace around the structural characters outside strings.
fn with_whitespace(text: &str, spaces: &[usize]) -> String {
    const SPACES: [&str; 6] = ["", "", " ", "\n", "\t  ", "\r\n"];
    let mut out = String::with_capacity(text.len() * 2);
    let mut next = spaces.iter().cycle().map(|&i| SPACES[i % SPACES.len()]);
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        let structural = !in_string && matches!(c, '{' | '}' | '[' | ']' | ':' | ',');
        if structural {
            out.push_str(next.next().unwrap_or(""));
        }
        out.push(c);
        if structural {
            out.push_str(next.next().unwrap_or(""));
        }
        if in_string && !escaped && c == '"' {
            in_string = false;
        } else if !in_string && c == '"' {
            in_string = true;
        }
        escaped = in_string && !escaped && c == '\\';
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(crate::test_support::fuzz_cases(4096)))]

    #[test]
    fn reads_exactly_what_serde_reads(
        text in Shapes { plain: false }.request(),
        spaces in prop::collection::vec(0usize..6, 1..8),
        tail in prop::sample::select(vec!["", " ", "\n", "x", "}", ","]),
    ) {
        let text = with_whitespace(&text, &spaces) + tail;
        if let Some(fast) = scan(&text) {
            prop_assert_eq!(Some(fast), serde_reading(&text), "{}", text);
        }
    }

    #[test]
    fn reads_every_request_of_the_common_shape(
        text in Shapes { plain: true }.request(),
        spaces in prop::collection::vec(0usize..6, 1..8),
    ) {
        let text = with_whitespace(&text, &spaces);
        let fast = scan(&text);
        prop_assert!(fast.is_some(), "{}", text);
        prop_assert_eq!(fast, serde_reading(&text), "{}", text);
    }
}
