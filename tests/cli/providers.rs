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

const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Standard base64 with padding, or URL-safe without (`url`).
fn base64(bytes: &[u8], url: bool) -> String {
    let alphabet: &[u8] =
        if url { URL_SAFE } else { b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" };
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(alphabet[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
        if !url {
            out.push_str(&"=".repeat(3 - chunk.len()));
        }
    }
    out
}

/// A signed-looking JWT: JSON header and claims, a random signature.
fn jwt(fake: &mut Fake, alg: &str) -> String {
    let claims = format!("{{\"sub\":\"system:serviceaccount:ci:{}\",\"iat\":1700000000}}", fake.hex(6));
    let signature: Vec<u8> = (0..32).map(|_| fake.next() as u8).collect();
    format!(
        "{}.{}.{}",
        base64(format!("{{\"alg\":\"{alg}\",\"typ\":\"JWT\"}}").as_bytes(), true),
        base64(claims.as_bytes(), true),
        base64(&signature, true)
    )
}

/// The files of the providers of issue 13's second half, and their decoys.
fn more_files(fake: &mut Fake) -> Vec<(String, String, Vec<&'static str>)> {
    let discord_id = base64(fake.chars(18, b"0123456789").as_bytes(), false).trim_end_matches('=').to_string();
    let docker_pat = format!("dckr_pat_{}", fake.chars(27, URL_SAFE));
    let docker_auth = base64(format!("ci-bot:{}", fake.chars(27, URL_SAFE)).as_bytes(), false);
    let client_key = base64(pem(fake, "EC PRIVATE KEY", 3).as_bytes(), false);
    let ca = base64(pem(fake, "CERTIFICATE", 3).as_bytes(), false);
    let sentry_claims = base64(b"{\"iat\":1700000000,\"url\":\"https://sentry.io\",\"org\":\"acme\"}", false);
    vec![
        (
            "services/.env".into(),
            format!(
                "GEM_HOST_API_KEY=rubygems_{}\nNUGET_API_KEY=oy2{}\nTWILIO_AUTH_TOKEN={}\nMAILGUN_API_KEY=key-{}\n\
                 MAILCHIMP_API_KEY={}-us6\nDD_API_KEY={}\nSENTRY_AUTH_TOKEN=sntryu_{}\n\
                 JIRA_API_TOKEN=ATATT3xFfGF0{}={}\nDISCORD_BOT_TOKEN={discord_id}.{}.{}\n\
                 DATABASE_URL=postgres://app:{}@db.internal.example.net:5432/app\nAZURE_CLIENT_SECRET={}8Q~{}\n",
                fake.hex(48),
                fake.chars(43, b"abcdefghijklmnopqrstuvwxyz0123456789"),
                fake.hex(32),
                fake.hex(32),
                fake.hex(32),
                fake.hex(32),
                fake.hex(64),
                fake.chars(180, URL_SAFE),
                fake.chars(8, b"0123456789ABCDEF"),
                fake.chars(6, URL_SAFE),
                fake.chars(38, URL_SAFE),
                fake.alnum(20),
                fake.alnum(3),
                fake.alnum(34),
            ),
            vec![
                "rubygems-api-key",
                "nuget-api-key",
                "twilio-auth-token",
                "mailgun-api-key",
                "mailchimp-api-key",
                "datadog-api-key",
                "sentry-auth-token",
                "atlassian-api-token",
                "discord-bot-token",
                "database-url-password",
                "azure-ad-client-secret",
            ],
        ),
        (
            ".github/workflows/publish.yml".into(),
            format!(
                "jobs:\n  push:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo {docker_pat} | docker login -u ci-bot --password-stdin\n\
                 \x20     - run: docker push acme/app:${{{{ github.sha }}}}\n        env:\n          NUGET_KEY: ${{{{ secrets.NUGET_KEY }}}}\n"
            ),
            vec!["docker-hub-pat"],
        ),
        (
            "appsettings.json".into(),
            format!(
                "{{\n  \"ConnectionStrings\": {{\n    \"Storage\": \"DefaultEndpointsProtocol=https;AccountName=acmeprod;AccountKey={}==;EndpointSuffix=core.windows.net\",\n\
                 \x20   \"Backups\": \"https://acmeprod.blob.core.windows.net/backups?sv=2022-11-02&ss=b&srt=co&sp=rl&se=2027-01-01T00:00:00Z&spr=https&sig={}%3D\"\n  }}\n}}\n",
                fake.b64(86),
                fake.alnum(43),
            ),
            vec!["azure-storage-key", "azure-sas-token"],
        ),
        (
            "src/notify.py".into(),
            format!(
                "import redis\n\nDISCORD_WEBHOOK = \"https://discord.com/api/webhooks/{}/{}\"\n\
                 cache = redis.Redis.from_url(\"rediss://:{}@cache.example.net:6380/0\")\n",
                fake.chars(19, b"0123456789"),
                fake.chars(68, URL_SAFE),
                fake.alnum(24),
            ),
            vec!["discord-webhook-url", "database-url-password"],
        ),
        (
            "notebooks/alerts.ipynb".into(),
            format!(
                "{{\n \"cells\": [\n  {{\n   \"cell_type\": \"code\",\n   \"source\": [\n    \"import telegram\\n\",\n\
                 \x20   \"bot = telegram.Bot(token=\\\"{}:AA{}\\\")\\n\"\n   ]\n  }}\n ],\n \"nbformat\": 4\n}}\n",
                fake.chars(10, b"0123456789"),
                fake.chars(33, URL_SAFE),
            ),
            vec!["telegram-bot-token"],
        ),
        (
            "infra/saas.tf".into(),
            format!(
                "provider \"heroku\" {{\n  api_key = \"HRKU-AA{}\"\n}}\n\nprovider \"newrelic\" {{\n  api_key = \"NRAK-{}\"\n  account_id = 1234567\n}}\n",
                fake.chars(58, URL_SAFE),
                fake.chars(27, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
            ),
            vec!["heroku-api-key", "newrelic-user-api-key"],
        ),
        (
            "deploy/kubeconfig".into(),
            format!(
                "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: {ca}\n    server: https://10.0.0.1:6443\n  name: prod\n\
                 users:\n- name: ci\n  user:\n    client-key-data: {client_key}\n- name: deployer\n  user:\n    token: {}\n",
                jwt(fake, "RS256")
            ),
            vec!["private-key-pem", "jwt"],
        ),
        (
            ".docker/config.json".into(),
            format!("{{\n  \"auths\": {{\n    \"https://index.docker.io/v1/\": {{\n      \"auth\": \"{docker_auth}\"\n    }}\n  }}\n}}\n"),
            vec!["docker-registry-auth"],
        ),
        (
            ".sentryclirc".into(),
            format!("[auth]\ntoken=sntrys_{}_{}\n", sentry_claims.trim_end_matches('='), fake.b64(43)),
            vec!["sentry-auth-token"],
        ),
        (
            "decoys/more-placeholders.env".into(),
            format!(
                "TWILIO_AUTH_TOKEN=your_auth_token\nTWILIO_ACCOUNT_SID=AC{}\nMAILCHIMP_API_KEY=00000000000000000000000000000000-us6\n\
                 DATABASE_URL=postgres://user:password@localhost:5432/app\nDATABASE_URL=postgres://${{DB_USER}}:${{DB_PASS}}@db:5432/app\n\
                 REDIS_URL=redis://:changeme@redis:6379\nTELEGRAM_BOT_TOKEN=110201543:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw\n\
                 AZURE_STORAGE=DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==\n\
                 JWT_SECRET=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c\n\
                 API_TOKEN={}\nHEROKU_APP_ID={}-{}-4{}-a{}-{}\nDOCKERHUB_TOKEN=dckr_pat_xxxxxxxxxxxxxxxxxxxxxxxxxxx\nSENTRY_AUTH_TOKEN=sntryu_<token>\n",
                fake.hex(32),
                jwt(fake, "none"),
                fake.hex(8),
                fake.hex(4),
                fake.hex(3),
                fake.hex(3),
                fake.hex(12),
            ),
            vec![],
        ),
        (
            "decoys/hashes.txt".into(),
            format!(
                "md5 {}  dist/app.tar.gz\nsha1 {}\nsha256 {}\ncommit {}\nrequest_id: {}-{}-4{}-8{}-{}\n",
                fake.hex(32),
                fake.hex(40),
                fake.hex(64),
                fake.hex(40),
                fake.hex(8),
                fake.hex(4),
                fake.hex(3),
                fake.hex(3),
                fake.hex(12)
            ),
            vec![],
        ),
        (
            "decoys/kubeconfig-ca-only".into(),
            format!("clusters:\n- cluster:\n    certificate-authority-data: {ca}\n  name: prod\nusers:\n- name: ci\n  user:\n    exec:\n      command: aws\n"),
            vec![],
        ),
        (
            "decoys/docker-config.json".into(),
            "{\"auths\": {\"ghcr.io\": {}, \"quay.io\": {\"auth\": \"\"}}, \"credsStore\": \"desktop\"}\n".into(),
            vec![],
        ),
    ]
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
    let mut all = files(&mut fake);
    all.extend(more_files(&mut fake));
    for (path, content, rules) in all {
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
    // `private-key` and `gcp` count as one each; so do the two GitHub kinds.
    assert!(providers.len() >= 30, "{} providers: {providers:?}", providers.len());
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

/// The value of a private key is its whole block: keys that share their
/// BEGIN and first body line but differ later have different fingerprints,
/// and `--show-secrets` shows the block through its END line.
#[test]
fn a_private_keys_fingerprint_covers_every_line_of_it() {
    let repo = Repo::new();
    let mut fake = Fake(29);
    let first = pem(&mut fake, "RSA PRIVATE KEY", 6);
    let lines: Vec<&str> = first.lines().collect();
    let second = format!("{}\n{}\n{}\n{}\n", lines[0], lines[1], fake.b64(64), lines[lines.len() - 1]);
    repo.write("a.key", &first);
    repo.write("b.key", &second);
    let report = json(&repo.keyfence(&["scan", ".", "--format", "json"]));
    let prints: BTreeSet<String> =
        report["findings"].as_array().unwrap().iter().map(|f| f["fingerprint"].as_str().unwrap().to_string()).collect();
    assert_eq!(prints.len(), 2, "{report}");
    let shown = json(&repo.keyfence(&["scan", "a.key", "--format", "json", "--show-secrets"]));
    assert_eq!(shown["findings"][0]["secret"].as_str().unwrap(), first.trim_end(), "the whole block is the value");
    assert_eq!(shown["findings"][0]["line"], 1);
}

/// `--rules aws` (and `rules = ["aws"]` in .keyfence.toml, which the hooks
/// read) keeps AWS's rules only: an AWS-only hook next to another scanner.
#[test]
fn rules_aws_keeps_only_the_aws_rules_in_scans_and_hooks() {
    let repo = Repo::new();
    let mut fake = Fake(31);
    let text = format!("GITHUB_TOKEN={}\naws_access_key_id = AKIA2E3MTGS5LTN4WCQV\n", fake.crc_token("ghp_"));
    repo.write("app.env", &text);
    let rules = |out: &std::process::Output| -> Vec<String> { findings(&json(out)).into_iter().map(|f| f.0).collect() };
    let all = rules(&repo.keyfence(&["scan", ".", "--format", "json"]));
    assert_eq!(all, ["github-pat", "aws-access-key-id"]);
    let aws = rules(&repo.keyfence(&["scan", ".", "--rules", "aws", "--format", "json"]));
    assert_eq!(aws, ["aws-access-key-id"]);
    let picked = rules(&repo.keyfence(&["scan", ".", "--rules", "github,aws-unique-id", "--format", "json"]));
    assert_eq!(picked, ["github-pat"]);
    let out = repo.keyfence(&["scan", ".", "--rules", "aws,nosuchprovider"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("nosuchprovider"), "{}", stderr(&out));

    repo.write(".keyfence.toml", "[options]\nrules = [\"aws\"]\n");
    repo.git(&["add", "app.env"]);
    let hook = repo.keyfence(&["hook", "pre-commit", "--format", "json"]);
    assert_eq!(rules(&hook), ["aws-access-key-id"], "{}", stderr(&hook));
    let listed = stdout(&repo.keyfence(&["rules"]));
    let on: Vec<&str> =
        listed.lines().filter(|l| l.starts_with("on ")).map(|l| l[5..].split(' ').next().unwrap()).collect();
    assert!(!on.is_empty() && on.iter().all(|id| id.starts_with("aws-")), "{listed}");
}

/// `keyfence explain` answers for a token of any provider, or for the line
/// of a format with no prefix, with the provider's steps; it never prints
/// the token whole.
#[test]
fn explain_names_the_provider_of_any_token_and_its_steps() {
    let mut fake = Fake(37);
    let cases = [
        (fake.crc_token("ghp_"), "GitHub", "https://github.com/settings/tokens"),
        (format!("HRKU-AA{}", fake.chars(58, URL_SAFE)), "Heroku", "https://dashboard.heroku.com/account/applications"),
        (format!("TWILIO_AUTH_TOKEN={}", fake.hex(32)), "Twilio", "https://console.twilio.com/"),
        (format!("sk_test_{}", fake.alnum(32)), "Stripe", "https://dashboard.stripe.com/apikeys"),
    ];
    for (token, provider, revoke) in cases {
        let out = crate::util::keyfence().args(["explain", &token]).output().unwrap();
        assert_eq!(code(&out), 0, "{token}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains(provider) && text.contains(revoke), "{token}: {text}");
        let value = token.rsplit('=').next().unwrap();
        assert!(!text.contains(value), "{token}: printed whole: {text}");
    }
    let out = crate::util::keyfence().args(["explain", "not-a-token"]).output().unwrap();
    assert_eq!(code(&out), 2);
}

/// A PEM key written as a JSON string (line breaks escaped `\n`) is one
/// finding whose value runs through its END marker; in a GCP service
/// account file the same key is reported once, by the GCP rule.
#[test]
fn a_private_key_in_a_json_string_is_found_once() {
    let repo = Repo::new();
    let mut fake = Fake(41);
    let key = pem(&mut fake, "PRIVATE KEY", 4).replace('\n', "\\n");
    repo.write("login-cases.json", &format!("{{\n  \"idToken\": \"x\",\n  \"dpopKey\": \"{key}\"\n}}\n"));
    repo.write(
        "sa.json",
        &format!("{{\n  \"type\": \"service_account\",\n  \"project_id\": \"p\",\n  \"private_key\": \"{key}\"\n}}\n"),
    );
    let out = repo.keyfence(&["scan", ".", "--format", "json", "--show-secrets"]);
    let report = json(&out);
    let found = findings(&report);
    assert_eq!(
        found,
        [
            ("private-key-pem".to_string(), "login-cases.json".to_string(), 3),
            ("gcp-service-account-key".to_string(), "sa.json".to_string(), 4),
        ]
    );
    let value = report["findings"][0]["secret"].as_str().unwrap();
    assert_eq!(value, key.trim_end_matches("\\n"), "the whole escaped block, through -----END PRIVATE KEY-----");
}
