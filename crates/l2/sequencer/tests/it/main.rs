//! Integration tests of the sequencer.
