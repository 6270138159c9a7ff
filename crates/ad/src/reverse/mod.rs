//! Reverse mode through pullbacks composed at compile time.
