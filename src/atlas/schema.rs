//! An action's `parameters_schema`, compiled once when its atlas loads and
//! applied to the parameters of every check of the action (CARP.md,
//! "Checking an action before running it", rule 5).
//!
//! JSON Schema draft 2020-12, by the `jsonschema` crate built without its
//! HTTP and file resolvers: a `$ref` to anything outside the schema does
//! not compile, so loading an atlas never reaches the network.

use serde_json::Value;
use std::fmt;
use std::sync::Arc;

/// A compiled parameters schema, shared by every catalog that holds its atlas.
#[derive(Clone)]
pub struct ParametersSchema(Arc<jsonschema::Validator>);

impl fmt::Debug for ParametersSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ParametersSchema")
    }
}

impl ParametersSchema {
    /// Compiles `schema` (JSON text: an object or a boolean).
    /// Errors: why it is not a schema, for the atlas's error message.
    pub fn compile(schema: &str) -> Result<ParametersSchema, String> {
        let schema: Value = serde_json::from_str(schema).map_err(|err| err.to_string())?;
        jsonschema::draft202012::new(&schema)
            .map(|validator| ParametersSchema(Arc::new(validator)))
            .map_err(|err| err.to_string())
    }

    /// Checks `parameters`. Errors: the first failure, as "<JSON pointer of
    /// the failing value>: <what failed> (<keyword>)"; the pointer of the
    /// parameters object itself is "/".
    pub fn check(&self, parameters: &Value) -> Result<(), String> {
        self.0.validate(parameters).map_err(|error| {
            let pointer = match error.instance_path().as_str() {
                "" => "/".to_owned(),
                pointer => pointer.to_owned(),
            };
            format!("{pointer}: {error} ({})", error.kind().keyword())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(schema: Value) -> ParametersSchema {
        ParametersSchema::compile(&schema.to_string()).unwrap()
    }

    fn failure(schema: &ParametersSchema, parameters: Value) -> String {
        schema.check(&parameters).unwrap_err()
    }

    #[test]
    fn the_first_failure_names_its_pointer_and_keyword() {
        let refund = schema(json!({
            "type": "object",
            "properties": {
                "payment_id": {"type": "string", "pattern": "^pay_[0-9]+$"},
                "amount_cents": {"type": "integer", "minimum": 1},
                "currency": {"enum": ["EUR", "USD"]},
                "lines": {"type": "array", "items": {"$ref": "#/$defs/line"}}
            },
            "required": ["payment_id", "amount_cents"],
            "additionalProperties": false,
            "$defs": {"line": {"type": "object", "required": ["sku"],
                               "properties": {"sku": {"type": "string"}}}}
        }));
        let ok = json!({"payment_id": "pay_1", "amount_cents": 5, "currency": "EUR",
                        "lines": [{"sku": "a"}]});
        assert_eq!(refund.check(&ok), Ok(()));
        for (parameters, pointer, keyword) in [
            (json!({"amount_cents": 5}), "/", "required"),
            (
                json!({"payment_id": 7, "amount_cents": 5}),
                "/payment_id",
                "type",
            ),
            (
                json!({"payment_id": "x", "amount_cents": 5}),
                "/payment_id",
                "pattern",
            ),
            (
                json!({"payment_id": "pay_1", "amount_cents": 0}),
                "/amount_cents",
                "minimum",
            ),
            (
                json!({"payment_id": "pay_1", "amount_cents": 5, "currency": "GBP"}),
                "/currency",
                "enum",
            ),
            (
                json!({"payment_id": "pay_1", "amount_cents": 5, "extra": 1}),
                "/",
                "additionalProperties",
            ),
            (
                json!({"payment_id": "pay_1", "amount_cents": 5, "lines": [{"sku": "a"}, {}]}),
                "/lines/1",
                "required",
            ),
        ] {
            let message = failure(&refund, parameters.clone());
            assert!(
                message.starts_with(&format!("{pointer}: ")),
                "{parameters}: {message}"
            );
            assert!(
                message.ends_with(&format!("({keyword})")),
                "{parameters}: {message}"
            );
        }
    }

    #[test]
    fn schemas_that_do_not_compile_or_reach_outside_are_refused() {
        assert!(ParametersSchema::compile(r#"{"type": "nonsense"}"#).is_err());
        assert!(
            ParametersSchema::compile(r#"{"$ref": "https://example.com/schema.json"}"#).is_err()
        );
        assert!(ParametersSchema::compile(r#"{"$ref": "file:///etc/passwd"}"#).is_err());
        assert!(ParametersSchema::compile("true").is_ok());
        assert_eq!(schema(json!(true)).check(&json!({"any": 1})), Ok(()));
    }
}
