//! The shared fixtures: files under `../shared` next to the checkout (the execution-apis test
//! chain, EEST archives), which a clone alone does not have.
//!
//! A test that needs them takes their path through [`require_fixture!`]: when the path is
//! absent it prints `skipping <test>: <path> not found` and returns, so `cargo test` passes on a
//! bare clone and says what it did not run.

use std::path::{Path, PathBuf};

/// The execution-apis test chain (`chain.rlp`, `genesis.json`, `headfcu.json`, ...), relative
/// to [`shared_dir`].
pub const EXECUTION_APIS: &str = "fixtures/execution-apis/tests";

/// Where the shared directory is expected: `shared/` beside the repository's directory.
pub fn shared_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"))
}

/// `rel` under [`shared_dir`], if it exists.
pub fn fixture_path(rel: &str) -> Option<PathBuf> {
    let path = shared_dir().join(rel);
    path.exists().then_some(path)
}

/// What [`require_fixture!`] prints when a fixture is absent.
pub fn report_missing(test: &str, path: &Path) {
    eprintln!("skipping {test}: {} not found", path.display());
}

/// The path of `rel` under [`shared_dir`]; when it does not exist, prints
/// `skipping <test>: <path> not found` and returns from the calling test (a function returning
/// `()`).
///
/// ```ignore
/// let apis = require_fixture!(ethrex_test_utils::fixtures::EXECUTION_APIS);
/// let chain = apis.join("chain.rlp");
/// ```
#[macro_export]
macro_rules! require_fixture {
    ($rel:expr) => {
        match $crate::fixtures::fixture_path($rel) {
            Some(path) => path,
            None => {
                fn here() {}
                let test = ::std::any::type_name_of_val(&here).trim_end_matches("::here");
                $crate::fixtures::report_missing(test, &$crate::fixtures::shared_dir().join($rel));
                return;
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absent_fixture_is_none_and_the_macro_returns_early() {
        assert_eq!(fixture_path("no/such/file"), None);
        let mut reached = false;
        let mut run = || {
            let _path = require_fixture!("no/such/file");
            reached = true;
        };
        run();
        assert!(!reached);
    }
}
