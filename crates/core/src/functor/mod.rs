//! Structural traversal of models (Functors.jl's `@functor`).
