pub trait Clock {}
pub struct SystemClock;
