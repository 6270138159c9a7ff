//! A recorded graph for scalar code with runtime control flow.
