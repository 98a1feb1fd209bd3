//! Issue 13's providers end to end: a repository built here holds one
//! format-valid fake token per provider in a realistic file, and as many
//! decoys; `scan --history` and `scan PATH` find every token and no decoy.
//! Tokens are generated (GitHub's and npm's CRC32 computed by `crc_token`),
//! never pasted.

use std::collections::BTreeSet;

use crate::util::{code, findings, json, stderr, stdout, Repo};

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A small deterministic generator: the same fake tokens on every run.
struct Fake(u64);

impl Fake {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn chars(&mut self, n: usize, alphabet: &[u8]) -> String {
        (0..n).map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize] as char).collect()
    }

    fn alnum(&mut self, n: usize) -> String {
        self.chars(n, BASE62)
    }

    fn hex(&mut self, n: usize) -> String {
        self.chars(n, b"0123456789abcdef")
    }

    fn b64(&mut self, n: usize) -> String {
        self.chars(n, b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
    }

    /// `prefix`, 30 base62 characters and their CRC32 in 6 base62 digits.
    fn crc_token(&mut self, prefix: &str) -> String {
        let body = self.alnum(30);
        let mut crc = !0u32;
        for &b in body.as_bytes() {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
            }
        }
        let mut n = !crc;
        let mut check = [b'0'; 6];
        for slot in check.iter_mut().rev() {
            *slot = BASE62[(n % 62) as usize];
            n /= 62;
        }
        format!("{prefix}{body}{}", String::from_utf8_lossy(&check))
    }
}

/// The last checksum character changed: same shape, wrong CRC32.
fn wrong_checksum(token: &str) -> String {
    let last = if token.ends_with('A') { 'B' } else { 'A' };
    format!("{}{last}", &token[..token.len() - 1])
}

fn pem(fake: &mut Fake, label: &str, lines: usize) -> String {
    let body: Vec<String> = (0..lines).map(|_| fake.b64(64)).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", body.join("\n"))
}

/// `(path, content, rules it must produce)`; decoys produce none.
fn files(fake: &mut Fake) -> Vec<(String, String, Vec<&'static str>)> {
    let ghp = fake.crc_token("ghp_");
    let npm = fake.crc_token("npm_");
    let ghs = fake.crc_token("ghs_");
    let slack_bot =
        format!("xoxb-{}-{}-{}", fake.chars(12, b"0123456789"), fake.chars(13, b"0123456789"), fake.alnum(24));
    let webhook = format!(
        "https://hooks.slack.com/services/T{}/B{}/{}",
        fake.chars(10, b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"),
        fake.chars(10, b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"),
        fake.alnum(24)
    );
    let gcp_key = pem(fake, "PRIVATE KEY", 3).replace('\n', "\\n");
    vec![
        (
            ".env".into(),
            format!(
                "GITHUB_TOKEN={ghp}\nGITLAB_TOKEN=glpat-{}\nSTRIPE_SECRET_KEY=sk_live_{}\nOPENAI_API_KEY=sk-proj-{}T3BlbkFJ{}\n\
                 ANTHROPIC_API_KEY=sk-ant-api03-{}AA\nHF_TOKEN=hf_{}\nSENDGRID_API_KEY=SG.{}.{}\n",
                fake.alnum(20),
                // Stripe's current length; a 40-character value after
                // `SECRET_KEY=sk_live_` is also AWS-secret-shaped.
                fake.alnum(99),
                fake.alnum(74),
                fake.alnum(74),
                fake.alnum(93),
                fake.chars(34, b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"),
                fake.alnum(22),
                fake.alnum(43),
            ),
            vec![
                "github-pat",
                "gitlab-pat",
                "stripe-secret-key",
                "openai-api-key",
                "anthropic-api-key",
                "huggingface-token",
                "sendgrid-api-key",
            ],
        ),
        (".npmrc".into(), format!("//registry.npmjs.org/:_authToken={npm}\n"), vec!["npm-access-token"]),
        (
            ".gitlab-ci.yml".into(),
            format!(
                "deploy:\n  variables:\n    TWINE_PASSWORD: pypi-AgEIcHlwaS5vcmc{}\n    SLACK_WEBHOOK: {webhook}\n    GH_TOKEN: {ghs}\n",
                fake.alnum(120)
            ),
            vec!["pypi-api-token", "slack-webhook-url", "github-app-token"],
        ),
        (
            "config/app.json".into(),
            format!(
                "{{\n  \"apiKey\": \"AIza{}\",\n  \"slack\": \"{slack_bot}\",\n  \"shopify\": \"shpat_{}\"\n}}\n",
                fake.alnum(35),
                fake.hex(32)
            ),
            vec!["google-api-key", "slack-token", "shopify-token"],
        ),
        (
            "infra/main.tf".into(),
            format!(
                "provider \"github\" {{\n  token = \"github_pat_{}_{}\"\n}}\nprovider \"digitalocean\" {{\n  token = \"dop_v1_{}\"\n}}\n",
                fake.alnum(22),
                fake.alnum(59),
                fake.hex(64)
            ),
            vec!["github-fine-grained-pat", "digitalocean-token"],
        ),
        (
            "gcp/key.json".into(),
            format!(
                "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"p-1\",\n  \"private_key_id\": \"{}\",\n  \"private_key\": \"{gcp_key}\"\n}}\n",
                fake.hex(40)
            ),
            vec!["gcp-service-account-key"],
        ),
        ("keys/server.key".into(), pem(fake, "RSA PRIVATE KEY", 8), vec!["private-key-pem"]),
        ("keys/signing.asc".into(), pem(fake, "PGP PRIVATE KEY BLOCK", 4).replacen('\n', "\n\n", 1), vec!["private-key-pgp"]),
        (
            "decoys/wrong-checksums.txt".into(),
            format!("{}\n{}\n{}\n", wrong_checksum(&ghp), wrong_checksum(&npm), wrong_checksum(&ghs)),
            vec![],
        ),
        (
            "decoys/public.pem".into(),
            format!("{}{}", pem(fake, "PUBLIC KEY", 4), pem(fake, "CERTIFICATE", 6)),
            vec![],
        ),
        (
            "decoys/docs.md".into(),
            "Paste your key (it starts with -----BEGIN RSA PRIVATE KEY-----) below.\n\n\
             -----BEGIN OPENSSH PRIVATE KEY-----\n...\n-----END OPENSSH PRIVATE KEY-----\n"
                .into(),
            vec![],
        ),
        (
            "decoys/placeholders.env".into(),
            "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\nSLACK_BOT_TOKEN=xoxb-not-a-real-token-this-will-not-work\n\
             STRIPE_KEY=sk_test_4eC39HqLyjWDarjtT1zdp7dc\nGOOGLE_API_KEY=AIzaXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX\n\
             OPENAI_API_KEY=sk-proj-...\nNPM_TOKEN=${NPM_TOKEN}\n"
                .into(),
            vec![],
        ),
        (
            "decoys/package-lock.json".into(),
            format!(
                "{{\"integrity\": \"sha512-{}==\", \"resolved\": \"https://registry.npmjs.org/x/-/x-1.0.0.tgz\", \"id\": \"{}-{}-{}\"}}\n",
                fake.b64(86),
                fake.hex(8),
                fake.hex(4),
                fake.hex(12)
            ),
            vec![],
        ),
    ]
}

fn repo_with_providers() -> (Repo, BTreeSet<(String, String)>) {
    let repo = Repo::new();
    let mut fake = Fake(0x5eed_0013_cafe_f00d);
    let mut expected = BTreeSet::new();
    for (path, content, rules) in files(&mut fake) {
        repo.commit_file(&path, &content, &format!("add {path}"));
        expected.extend(rules.into_iter().map(|rule| (rule.to_string(), path.clone())));
    }
    (repo, expected)
}

fn found(out: &std::process::Output) -> BTreeSet<(String, String)> {
    assert_eq!(code(out), 1, "{}", stderr(out));
    findings(&json(out)).into_iter().map(|(rule, path, _)| (rule, path)).collect()
}

#[test]
fn every_provider_token_is_found_in_history_and_worktree_and_no_decoy() {
    let (repo, expected) = repo_with_providers();
    let providers: BTreeSet<&str> = expected.iter().map(|(rule, _)| rule.split('-').next().unwrap()).collect();
    assert!(providers.len() >= 14, "{providers:?}");
    let history = found(&repo.keyfence(&["scan", "--history", "--format", "json"]));
    assert_eq!(history, expected, "scan --history");
    let worktree = found(&repo.keyfence(&["scan", ".", "--format", "json"]));
    assert_eq!(worktree, expected, "scan PATH");
}

#[test]
fn github_and_npm_tokens_with_a_wrong_checksum_are_not_findings() {
    let repo = Repo::new();
    let mut fake = Fake(7);
    let good = [fake.crc_token("ghp_"), fake.crc_token("gho_"), fake.crc_token("ghr_"), fake.crc_token("npm_")];
    let bad: String = good.iter().map(|t| format!("token = {}\n", wrong_checksum(t))).collect();
    repo.write("bad.txt", &bad);
    let out = repo.keyfence(&["scan", "bad.txt"]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    let good: String = good.iter().map(|t| format!("token = {t}\n")).collect();
    repo.write("good.txt", &good);
    let rules: Vec<String> =
        findings(&json(&repo.keyfence(&["scan", "good.txt", "--format", "json"]))).into_iter().map(|f| f.0).collect();
    assert_eq!(rules, ["github-pat", "github-oauth-token", "github-app-token", "npm-access-token"]);
}

#[test]
fn stripe_test_keys_are_off_by_default_and_low_when_enabled() {
    let repo = Repo::new();
    let mut fake = Fake(11);
    repo.write("stripe.env", &format!("STRIPE_KEY=sk_test_{}\n", fake.alnum(32)));
    let out = repo.keyfence(&["scan", "stripe.env"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let out = repo.keyfence(&["scan", "stripe.env", "--enable-rule", "stripe-test-secret-key", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["findings"][0]["rule"], "stripe-test-secret-key");
    assert_eq!(report["findings"][0]["severity"], "low");
}

#[test]
fn a_private_key_is_one_finding_at_its_begin_line_redacted_in_machine_output() {
    let repo = Repo::new();
    let mut fake = Fake(23);
    let key = pem(&mut fake, "EC PRIVATE KEY", 5);
    repo.write(
        "deploy/values.yaml",
        &format!("tls:\n  key: |\n{}", key.lines().map(|l| format!("    {l}\n")).collect::<String>()),
    );
    for format in ["json", "jsonl", "sarif"] {
        let out = repo.keyfence(&["scan", ".", "--format", format]);
        assert_eq!(code(&out), 1, "{}", stderr(&out));
        let text = stdout(&out);
        for line in key.lines().filter(|l| !l.starts_with("-----")) {
            assert!(!text.contains(line), "--format {format} prints a body line of the key");
        }
    }
    let found = findings(&json(&repo.keyfence(&["scan", ".", "--format", "json"])));
    assert_eq!(found, [("private-key-pem".to_string(), "deploy/values.yaml".to_string(), 3)]);
}

/// `.keyfence.toml` `disable-rules` picks providers: with every non-AWS
/// rule off, the provider fixtures are clean (an AWS-only hook).
#[test]
fn provider_rules_can_be_switched_off_for_an_aws_only_hook() {
    let (repo, _) = repo_with_providers();
    let out = repo.keyfence(&["rules"]);
    let ids: Vec<String> = stdout(&out)
        .lines()
        .filter(|l| l.starts_with("on "))
        .filter_map(|l| l[5..].split_whitespace().next().map(|id| format!("{id:?}")))
        .filter(|id| !id.starts_with("\"aws-"))
        .collect();
    assert!(ids.len() >= 20, "{ids:?}");
    repo.write(".keyfence.toml", &format!("[options]\ndisable-rules = [{}]\n", ids.join(", ")));
    let out = repo.keyfence(&["scan", "."]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
}
