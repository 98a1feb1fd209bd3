//! One finding per secret per path in a history scan. A key that stays in a
//! file while other lines change is in every version (blob) of that file;
//! each version is placed where it first appears. What a reader wants is
//! where the key was put there: the oldest version's finding, with the
//! number of later versions of that path that still hold it. The same key
//! at another path is another finding (a copy is another place to clean).

use crate::finding::Finding;

/// Keep, for each (path, rule, secret), the finding of the oldest place
/// (lowest walk position, then line and column), counting the other
/// versions (distinct blobs) of that path that have it in `later_versions`
/// and naming the newest one's commit.
pub(super) fn one_per_secret_per_path(mut placed: Vec<(Finding, u64)>) -> Vec<Finding> {
    let key = |f: &Finding| (f.origin.path.clone(), f.rule.clone(), f.secret.clone());
    placed.sort_by(|(a, order_a), (b, order_b)| {
        (&a.origin.path, &a.rule, &a.secret, order_a, a.line, a.column).cmp(&(
            &b.origin.path,
            &b.rule,
            &b.secret,
            order_b,
            b.line,
            b.column,
        ))
    });
    let mut kept: Vec<Finding> = Vec::new();
    let mut blobs_of_kept: Vec<Option<String>> = Vec::new();
    for (finding, _) in placed {
        match kept.last_mut() {
            Some(last) if key(last) == key(&finding) => {
                if !blobs_of_kept.contains(&finding.origin.blob_id) {
                    blobs_of_kept.push(finding.origin.blob_id.clone());
                    last.later_versions += 1;
                    last.last_version_commit = finding.origin.commit;
                }
            }
            _ => {
                blobs_of_kept = vec![finding.origin.blob_id.clone()];
                kept.push(finding);
            }
        }
    }
    kept
}
