//! What to do after an AWS key leaks, with the key id and account filled in
//! so every command can be pasted as is. Shared by the human report and
//! `keyfence explain`. Never calls the network.

use std::fmt::Write;

/// The response steps for one key id, as plain text lines.
pub fn response_steps(key_id: &str, account: Option<&str>) -> String {
    let mut text = String::new();
    let account_line = match account {
        Some(account) => format!("account {account} (decoded offline from the key id)"),
        None if crate::aws::is_legacy_format(key_id) => {
            "account unknown: old-format ids (AKIAI…/AKIAJ…) do not encode it; run `aws sts get-access-key-info --access-key-id KEY` with your own credentials".replace("KEY", key_id)
        }
        None => "account unknown".to_string(),
    };
    let _ = writeln!(text, "  {key_id}: {account_line}");
    let steps = [
        (
            "Deactivate the key now; do not delete it yet, you may need to re-enable it briefly while you roll out a replacement:",
            format!("aws iam update-access-key --access-key-id {key_id} --status Inactive"),
        ),
        (
            "Create a replacement, roll it out, then delete the leaked key:",
            format!("aws iam delete-access-key --access-key-id {key_id}"),
        ),
        (
            "See what the key did in the last 90 days (CloudTrail is regional: repeat with --region for every region):",
            format!("aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={key_id}"),
        ),
        (
            "Look for IAM users and access keys you did not create, and for instances and spot requests in every region:",
            "aws iam list-users; for r in $(aws ec2 describe-regions --query 'Regions[].RegionName' --output text); do aws ec2 describe-instances --region $r; aws ec2 describe-spot-instance-requests --region $r; done".to_string(),
        ),
        ("Check the bill (Cost Explorer, by region and service) and set a budget alert.", String::new()),
    ];
    for (n, (why, command)) in steps.iter().enumerate() {
        let _ = writeln!(text, "    {}. {why}", n + 1);
        if !command.is_empty() {
            let _ = writeln!(text, "         {command}");
        }
    }
    text
}

/// The closing paragraph after AWS findings.
pub fn preamble(from_history: bool) -> &'static str {
    if from_history {
        "A key in git history is exposed to everyone who can clone the repository, even if the file was deleted \
         since: treat it as compromised. Deleting the file does not help once pushed; rotate the key."
    } else {
        "If this key was ever pushed, shared or committed anywhere, treat it as compromised: scripts find keys in \
         public repositories within minutes. Then prefer IAM roles or SSO over long-lived keys, and enable MFA."
    }
}
