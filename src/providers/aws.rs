//! AWS, the first provider: facts about key ids that need no network (which
//! prefixes are credentials, the account id encoded inside modern AKIA/ASIA
//! ids), and what to do after a key leaks, with the key id and account filled
//! in so every command can be pasted as is: the short form in the human
//! report, the long form in `keyfence explain`.

use std::fmt::Write;

use super::{ExplainError, Provider};

pub static PROVIDER: Provider = Provider {
    id: "aws",
    name: "Amazon Web Services",
    revoke_url: "https://console.aws.amazon.com/iam/home#/security_credentials",
    what_to_do: "A secret was found without its key id: find the key it belongs to (IAM console, access keys of each user) and rotate it the same way.",
    account_label: "AWS account",
    account: Some(account_id),
    response_steps: Some(response_steps),
    explain: Some(explain_id),
    explain_takes: "an AWS key id (AKIA…, ASIA…, 20 characters)",
    sarif_help: "Run `keyfence explain KEY_ID` for the response steps.",
    placeholder: Some(is_placeholder),
};

/// A key id written to look like one: it decodes to an account that
/// documentation and mocks use (`000000000000`, `123456789012`: one digit
/// repeated, or digits counting up or down), or its 16 characters after the
/// prefix are all hex digits (`AKIADEADBEEFDEADBEEF`), which 12 of the 32
/// base32 characters are: a random id is one in 6.5 million, (12/32)^16.
pub fn is_placeholder(key_id: &str) -> bool {
    let suffix = key_id.get(4..).unwrap_or("");
    if suffix.len() == 16 && suffix.bytes().all(|b| b.is_ascii_hexdigit()) {
        return true;
    }
    account_id(key_id).is_some_and(|account| placeholder_account(&account))
}

fn placeholder_account(account: &str) -> bool {
    let digits = account.as_bytes();
    let step = |by: u8| digits.windows(2).all(|w| w[1] == b'0' + (w[0] - b'0' + by) % 10);
    step(0) || step(1) || step(9)
}

/// What a key-id prefix says about the credential.
pub fn prefix_meaning(key_id: &str) -> Option<&'static str> {
    Some(match key_id.get(..4)? {
        "AKIA" => "long-lived access key of an IAM user (or the root user)",
        "ASIA" => "temporary access key issued by AWS STS (needs its session token)",
        "ABIA" => "AWS STS service bearer token",
        "ACCA" => "context-specific credential",
        "AIDA" => "IAM user unique id (an identifier, not a secret)",
        "AROA" => "IAM role unique id (an identifier, not a secret)",
        "AGPA" => "IAM group unique id (an identifier, not a secret)",
        "ANPA" => "managed policy id (an identifier, not a secret)",
        "ANVA" => "managed policy version id (an identifier, not a secret)",
        "AIPA" => "EC2 instance profile id (an identifier, not a secret)",
        "ASCA" => "certificate id (an identifier, not a secret)",
        "APKA" => "public key id (an identifier, not a secret)",
        _ => return None,
    })
}

/// Why an id carries no account: old-format ids (fifth character `I` or `J`)
/// predate the encoding, so decoding them yields a meaningless number.
pub fn is_legacy_format(key_id: &str) -> bool {
    matches!(key_id.as_bytes().get(4), Some(b'I' | b'J'))
}

/// The 12-digit AWS account id encoded in an AKIA/ASIA key id.
///
/// Layout from Aidan Steele's "AWS Access Key ID formats" (2020), bit offsets
/// corrected by Tal Be'ery (2023): base32-decode the 16 characters after the
/// prefix; the first 48 bits, less the top bit, shifted right by 7, are the
/// account. `None` for legacy ids and anything that is not base32.
pub fn account_id(key_id: &str) -> Option<String> {
    let suffix = key_id.as_bytes().get(4..20)?;
    if key_id.len() != 20 || is_legacy_format(key_id) {
        return None;
    }
    let mut bits: u64 = 0;
    // 10 base32 characters = 50 bits: the 48 we need plus 2 spare.
    for &c in &suffix[..10] {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        bits = (bits << 5) | u64::from(value);
    }
    let first_48 = bits >> 2;
    Some(format!("{:012}", (first_48 & 0x7fff_ffff_ff80) >> 7))
}

/// One response step: what to do, why (one line), and the command.
pub struct Step {
    pub what: &'static str,
    pub why: &'static str,
    pub command: String,
}

/// The response steps for one key id, in the order they should be done.
pub fn steps(key_id: &str) -> Vec<Step> {
    let temporary = key_id.starts_with("ASIA");
    let mut steps = Vec::new();
    if temporary {
        steps.push(Step {
            what: "Cut the session off: an ASIA key cannot be deactivated on its own, so revoke the active sessions of the role that issued it (find the role from the key id, then deny every session issued before now)",
            why: "an ASIA key is temporary (AWS STS) and stays valid until it expires, up to 36 hours, unless its role's older sessions are revoked",
            command: format!(
                r#"ROLE=$(aws cloudtrail lookup-events --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={key_id} --max-results 1 --query 'Events[0].CloudTrailEvent' --output text | jq -r .userIdentity.sessionContext.sessionIssuer.userName) && aws iam put-role-policy --role-name "$ROLE" --policy-name AWSRevokeOlderSessions --policy-document '{{"Version":"2012-10-17","Statement":[{{"Effect":"Deny","Action":"*","Resource":"*","Condition":{{"DateLessThan":{{"aws:TokenIssueTime":"'$(date -u +%FT%TZ)'"}}}}}}]}}'"#
            ),
        });
        steps.push(Step {
            what: "If it was minted from a long-lived key (GetSessionToken), deactivate that key too",
            why: "the parent key can mint new sessions as fast as you revoke them",
            command: "aws iam update-access-key --access-key-id PARENT_AKIA_KEY --status Inactive".into(),
        });
    } else {
        steps.push(Step {
            what: "Deactivate the key now (do not delete it yet)",
            why: "deactivating is instant and reversible: if something breaks you can re-enable it briefly while the replacement rolls out",
            command: format!("aws iam update-access-key --access-key-id {key_id} --status Inactive"),
        });
        steps.push(Step {
            what: "Create a replacement and roll it out to everything that used the leaked key",
            why: "the key stays inactive (not deleted) until the replacement is live, so an outage can still be undone",
            command: "aws iam create-access-key --user-name USER".into(),
        });
        steps.push(Step {
            what: "Once nothing uses the leaked key any more, delete it",
            why: "a deleted key can never be used again, by you or by whoever copied it",
            command: format!("aws iam delete-access-key --access-key-id {key_id}"),
        });
        steps.push(Step {
            what: "If it is the root user's key (AccountAccessKeysPresent is 1; keyfence cannot tell from the id), delete it in the console (Security credentials) and never create another",
            why: "a root key cannot be limited by any policy; AWS recommends that the root user has no access key at all",
            command: "aws iam get-account-summary --query 'SummaryMap.AccountAccessKeysPresent'".into(),
        });
    }
    steps.push(Step {
        what: "See what the key did (CloudTrail keeps 90 days of management events; it is regional, so repeat for every region)",
        why: "attackers use a leaked key within minutes; this shows whether they already did, and from where",
        command: format!(
            "for r in $(aws ec2 describe-regions --query 'Regions[].RegionName' --output text); do aws cloudtrail lookup-events --region $r --lookup-attributes AttributeKey=AccessKeyId,AttributeValue={key_id}; done"
        ),
    });
    steps.push(Step {
        what: "Look for IAM users, access keys, instances and spot requests you did not create, in every region",
        why: "the usual playbook is a new IAM user or key for persistence, then crypto-mining instances in every region",
        command: "aws iam list-users; for r in $(aws ec2 describe-regions --query 'Regions[].RegionName' --output text); do aws ec2 describe-instances --region $r --query 'Reservations[].Instances[].[InstanceId,LaunchTime]'; aws ec2 describe-spot-instance-requests --region $r; done".into(),
    });
    steps.push(Step {
        what: "Delete what the attacker created once you have found it: IAM users and their keys, roles, instances, spot requests, Lambda functions",
        why: "anything left behind is a way back in, or keeps billing",
        command: "aws iam delete-access-key --user-name THEIR_USER --access-key-id THEIR_KEY; aws ec2 terminate-instances --region REGION --instance-ids i-...".into(),
    });
    steps.push(Step {
        what: "Check the bill, and set a budget alert",
        why: "unexpected spend is often the first sign; a budget alert catches the next incident in hours, not weeks",
        command: "aws ce get-cost-and-usage --time-period Start=$(date -u -v-7d +%F 2>/dev/null || date -u -d '-7 days' +%F),End=$(date -u +%F) --granularity DAILY --metrics UnblendedCost".into(),
    });
    steps.push(Step {
        what: "Open an AWS Support case (Account and billing, free on every plan): ask for a billing adjustment for the attacker's usage",
        why: "AWS may already have attached its compromised-key quarantine policy (AWSCompromisedKeyQuarantine...) to the user: that means AWS saw the key leak, and the case is how the incident is closed",
        command: "aws iam list-attached-user-policies --user-name USER --query 'AttachedPolicies[].PolicyName'".into(),
    });
    steps.push(Step {
        what: "Turn on GuardDuty in every region",
        why: "it flags credential misuse and crypto-mining as it happens, in regions you do not watch",
        command: "for r in $(aws ec2 describe-regions --query 'Regions[].RegionName' --output text); do aws guardduty create-detector --region $r --enable; done".into(),
    });
    steps.push(Step {
        what: "If you cannot sign in at all (the attacker changed the password, MFA or email), use the AWS Support form for account recovery",
        why: "without access nothing above can be done, and AWS verifies ownership through that form",
        command: "open https://support.aws.amazon.com/#/contacts/aws-account-support".into(),
    });
    steps.push(Step {
        what: "Prevent the next one: IAM roles or SSO instead of long-lived keys, MFA on every human user",
        why: "a key that does not exist cannot leak; roles hand out short-lived credentials automatically",
        command: String::new(),
    });
    steps
}

/// What the id itself says, before the steps.
pub fn describe(key_id: &str) -> String {
    let mut text = String::new();
    let meaning = prefix_meaning(key_id).unwrap_or("not a known AWS key id prefix");
    let _ = writeln!(text, "{key_id}: {meaning}");
    if key_id.contains("EXAMPLE") {
        let _ = writeln!(
            text,
            "This is an AWS documentation example (like AKIAIOSFODNN7EXAMPLE), not a real credential: nothing to do."
        );
        return text;
    }
    if is_placeholder(key_id) {
        let why = match account_id(key_id).filter(|a| placeholder_account(a)) {
            Some(account) => format!("it decodes to the placeholder account {account}"),
            None => "it is a hex word".into(),
        };
        let _ = writeln!(text, "This is a placeholder ({why}), as documentation and mocks write them: scans skip it.");
        return text;
    }
    let _ = match account_id(key_id) {
        Some(account) => writeln!(text, "AWS account: {account} (decoded offline from the key id; no network call was made)"),
        None if is_legacy_format(key_id) => writeln!(
            text,
            "AWS account: not encoded (old-format id, {}I…/{}J…); find it with your own credentials: aws sts get-access-key-info --access-key-id {key_id}",
            &key_id[..4],
            &key_id[..4]
        ),
        None => writeln!(text, "AWS account: cannot be decoded from this id"),
    };
    text
}

/// Whether the id names a credential (something that signs requests), as
/// opposed to a user, role, group or policy identifier.
pub fn is_credential(key_id: &str) -> bool {
    matches!(key_id.get(..4), Some("AKIA" | "ASIA" | "ABIA" | "ACCA"))
}

/// The long form, for `keyfence explain`.
pub fn explain(key_id: &str) -> String {
    let mut text = describe(key_id);
    if key_id.ends_with("EXAMPLE") {
        return text;
    }
    // Deactivating or deleting an access key by a role's or user's id fails,
    // and telling someone to "rotate" an identifier sends them the wrong way.
    if !is_credential(key_id) {
        let _ = writeln!(
            text,
            "\nThis is not a credential: it cannot sign requests, so there is nothing to deactivate or rotate. \
             It does name an AWS account and principal, which helps an attacker aim, so keep it out of public \
             places; if an access key (AKIA…, ASIA…) is next to it, explain that one."
        );
        return text;
    }
    let _ = writeln!(
        text,
        "\nIf this key was ever pushed, shared or pasted anywhere, treat it as compromised: scripts find keys in public \
         repositories within minutes, and deleting the file (or even rewriting history) does not help once it was \
         pushed. In this order:\n"
    );
    for (n, step) in steps(key_id).iter().enumerate() {
        let _ = writeln!(text, "{}. {}", n + 1, step.what);
        let _ = writeln!(text, "   Why: {}", step.why);
        if !step.command.is_empty() {
            let _ = writeln!(text, "   $ {}", step.command);
        }
    }
    text
}

/// The short form printed after AWS findings in the human report.
fn response_steps(key_id: &str) -> String {
    let mut text = String::new();
    for line in describe(key_id).lines() {
        let _ = writeln!(text, "  {line}");
    }
    for (n, step) in steps(key_id).iter().enumerate().take(3) {
        let _ = writeln!(text, "    {}. {}", n + 1, step.what);
        if !step.command.is_empty() {
            let _ = writeln!(text, "         {}", step.command);
        }
    }
    text
}

/// `keyfence explain` for an AWS key id, or `None` when `id` is not shaped
/// like one.
fn explain_id(id: &str) -> Option<Result<String, ExplainError>> {
    // Key ids are upper case, but one retyped or lower-cased on its way
    // through a chat or a ticket is still that key: the commands need it as
    // AWS spells it.
    let key_id = id.to_ascii_uppercase();
    let is_key_id = key_id.len() == 20 && key_id.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if !is_key_id || prefix_meaning(&key_id).is_none() {
        return None;
    }
    // The scanner never reports such an id (0, 1, 8 and 9 are outside
    // AWS's base32 alphabet), so explain must not treat it as a leak
    // either; the documentation examples are the known exception.
    let outside_base32 = key_id[4..].chars().find(|c| matches!(c, '0' | '1' | '8' | '9'));
    if let (Some(c), false) = (outside_base32, key_id.ends_with("EXAMPLE")) {
        return Some(Err(ExplainError(format!(
            "'{id}' is not an AWS key id: after the prefix, key ids use only A-Z and 2-7, not '{c}'"
        ))));
    }
    Some(Ok(explain(&key_id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_published_example() {
        assert_eq!(account_id("ASIAY34FZKBOKMUTVV7A").as_deref(), Some("609629065308"));
    }

    #[test]
    fn legacy_and_malformed_ids_have_no_account() {
        assert_eq!(account_id("AKIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(account_id("AKIAJ44QH8DHBEXAMPLE"), None);
        assert_eq!(account_id("AKIA"), None);
        assert_eq!(account_id("AKIAY34F0KBOKMUTVV7A"), None);
    }

    /// A key id (with a made-up tail) that decodes to `account`.
    fn key_id_of(account: u64, tail: &str) -> String {
        const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        let bits = ((1u64 << 47) | (account << 7) | 0x55) << 2;
        let head: String = (0..10).rev().map(|i| BASE32[((bits >> (5 * i)) & 31) as usize] as char).collect();
        format!("AKIA{head}{tail}")
    }

    #[test]
    fn ids_of_documentation_accounts_and_hex_words_are_placeholders() {
        for account in [0, 111_111_111_111, 123_456_789_012, 987_654_321_098, 12_345_678_901] {
            let id = key_id_of(account, "WCQVTN");
            assert_eq!(account_id(&id), Some(format!("{account:012}")));
            assert!(is_placeholder(&id), "{id}");
        }
        assert!(is_placeholder("AKIADEADBEEFDEADBEEF"));
        assert!(is_placeholder("ASIACAFEBABE2345CAFE"));
        for real in ["AKIA2E3MTGS5LTN4WCQV", "ASIAY34FZKBOKMUTVV7A", &key_id_of(609_629_065_308, "WCQVTN")] {
            assert!(!is_placeholder(real), "{real}");
        }
    }

    #[test]
    fn prefixes_are_explained() {
        assert!(prefix_meaning("ASIAY34FZKBOKMUTVV7A").unwrap().contains("STS"));
        assert_eq!(prefix_meaning("XXXX1234"), None);
    }

    #[test]
    fn incident_steps_roll_out_before_deleting_and_cover_the_whole_response() {
        for key_id in ["AKIAY34FZKBOKMUTVV7A", "ASIAY34FZKBOKMUTVV7A"] {
            let all = steps(key_id);
            let text: String = all.iter().map(|s| format!("{} {} {}\n", s.what, s.why, s.command)).collect();
            for topic in ["attacker created", "Support case", "quarantine", "GuardDuty", "account recovery"] {
                assert!(text.contains(topic), "{key_id}: {topic} missing");
            }
            // No GNU-only `date -d` without the BSD/macOS form first.
            for step in &all {
                if step.command.contains("date -u -d") {
                    assert!(step.command.contains("date -u -v-7d +%F 2>/dev/null ||"), "{}", step.command);
                }
                assert!(!step.command.contains("date -d"), "{}", step.command);
            }
        }
        let long_lived = steps("AKIAY34FZKBOKMUTVV7A");
        let at = |needle: &str| long_lived.iter().position(|s| s.command.contains(needle)).unwrap();
        // Two commands: the replacement rolls out, then the leaked key goes.
        assert!(at("create-access-key") < at("delete-access-key --access-key-id AKIA"));
        assert!(!long_lived[at("create-access-key")].command.contains("delete-access-key"));
        assert!(long_lived.iter().any(|s| s.what.contains("root user") && s.what.contains("never create another")));
    }

    #[test]
    fn explain_fills_in_the_id_and_account() {
        let text = explain("AKIAY34FZKBOKMUTVV7A");
        assert!(text.contains("609629065308"));
        assert!(text.contains("aws iam update-access-key --access-key-id AKIAY34FZKBOKMUTVV7A --status Inactive"));
        assert!(text.contains("AttributeKey=AccessKeyId,AttributeValue=AKIAY34FZKBOKMUTVV7A"));
        assert!(explain("AKIAIOSFODNN7EXAMPLE").contains("documentation example"));
        assert!(explain("AKIAEXAMPLEPBUMBC3GA").contains("documentation example"));
        assert!(explain("AKIARZPUZDIKKUWCQVTN").contains("placeholder account 123456789012"));
        assert!(explain("AKIADEADBEEFDEADBEEF").contains("hex word"));
        assert!(describe("AKIAJ44QH8DHBEXAMPLF").contains("get-access-key-info"));
        let role = explain("AROAQW6YJ5RTNMZ2KX4E");
        assert!(role.contains("not a credential") && !role.contains("update-access-key"), "{role}");
    }
}
