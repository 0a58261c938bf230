pub struct Config;
pub enum TraceMode {}
pub enum Backpressure {}
