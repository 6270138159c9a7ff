//! Mixed modes: forward over reverse (Hessian-vector products, Hessians).
