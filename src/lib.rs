//! Switchboard facade (work in progress).
