//! Integration tests of the sequencer.

mod committer;
