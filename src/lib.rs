//! typeflux
