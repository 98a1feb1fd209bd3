//! Git sources against repositories that bend the usual shapes (#17): an
//! empty range base, reftable, include loops, undecodable commits, sparse
//! indexes, cherry-picks, allowlisted copies of a blob, packed bombs.

use crate::util::*;

fn keyed_repo() -> (Repo, String) {
    let repo = Repo::new();
    let base = repo.commit_file("README", "hello\n", "base");
    repo.commit_file("creds", &credentials(KEY_ID, SECRET), "key");
    (repo, base)
}

#[test]
fn an_empty_range_base_is_an_error_naming_it_not_a_clean_scan() {
    let (repo, _) = keyed_repo();
    let head = repo.git(&["rev-parse", "HEAD"]);
    for args in
        [vec!["scan", "--since", ""], vec!["scan", "--range", &format!("...{head}")], vec!["scan", "--range", "..HEAD"]]
    {
        let out = repo.keyfence(&args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("base revision is empty"), "{args:?}: {}", stderr(&out));
    }
    // An empty head still means HEAD, as in git.
    let base = repo.git(&["rev-parse", "HEAD~1"]);
    assert_eq!(code(&repo.keyfence(&["scan", "--range", &format!("{base}..")])), 1);
}
