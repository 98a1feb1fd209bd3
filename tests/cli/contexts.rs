//! Every real-world credential context in `fixtures/contexts/positive/` is
//! found exactly as `fixtures/contexts/expected.tsv` says (rule and line, no
//! more, no less), and every decoy in `fixtures/contexts/decoys/` stays
//! silent. Each file is scanned on its own by the real binary, so one file's
//! findings cannot hide another's misses.
//!
//! The fixtures hold generated fake keys (and AWS documentation examples in
//! the decoys), never real credentials. `fixtures/contexts/README.md` says how
//! to add one.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::util::{code, findings, fixtures, json, run_in, stderr};

/// The contexts issue 2 requires, each with its fixture under `positive/`.
/// A test checks this table against the directory, so a fixture can neither
/// go missing nor be added without saying what it stands for.
const POSITIVE: &[(&str, &str)] = &[
    ("AWS credentials INI, with a session profile", ".aws/credentials"),
    ("IAM console CSV, old header", "iam-console/credentials.csv"),
    ("IAM console CSV, new header (with BOM)", "iam-console/ci-deployer_accessKeys.csv"),
    (".env file", ".env"),
    ("docker-compose environment list", "docker-compose.yml"),
    ("Dockerfile ENV (both forms)", "Dockerfile"),
    ("shell export", "scripts/deploy.sh"),
    ("GitHub Actions workflow env:", ".github/workflows/deploy.yml"),
    ("boto3 client kwargs, multi-line", "upload_reports.py"),
    ("boto3 Session kwargs, one line", "sync_bucket.py"),
    ("JS SDK accessKeyId/secretAccessKey", "src/s3Client.js"),
    ("JSON config with bare \"key\"/\"secret\"", "config/storage.json"),
    ("Terraform provider block", "infra/provider.tf"),
    ("Java properties", "src/main/resources/application.properties"),
    ("Spring YAML access-key/secret-key", "src/main/resources/application.yml"),
    ("Go NewStaticCredentials", "storage/session.go"),
    ("C# BasicAWSCredentials", "Reports/S3Factory.cs"),
    ("Ruby Aws::Credentials.new", "config/initializers/aws.rb"),
    ("rclone config", "rclone.conf"),
    ("s3cmd config, key id and secret 30 lines apart", ".s3cfg"),
    ("aws iam create-access-key output", "create-access-key.json"),
    ("aws sts assume-role output with session token", "assume-role.json"),
    ("Jupyter notebook, JSON-escaped source", "notebooks/explore_invoices.ipynb"),
    ("one-line minified JS", "dist/app.min.js"),
    ("CRLF line endings (Windows batch file)", "set-aws-env.cmd"),
    ("key id alone in prose", "docs/incident-2024-03.md"),
    ("key id alone in a log line", "logs/uploader.log"),
    ("secret alone under an AWS-named variable", "reports/settings.py"),
    ("Postman environment: value on the line after its key name", "postman/prod.postman_environment.json"),
    ("HCL variable block with a default, far from the key id", "infra/variables.tf"),
    ("ECS task definition name/value pairs, 4 lines apart", "ecs/task-definition.json"),
    ("aws ssm get-parameter output, secret alone", "ssm-get-parameter.json"),
    ("Kubernetes env name/value, key id 6 lines later", "k8s/deployment.yaml"),
    ("YAML folded block scalar holding the whole secret", "ansible/group_vars/all.yml"),
    ("JSON-escaped log lines (\\n, \\u0022 before the key id)", "logs/lambda-events.json"),
    ("URL-encoded query strings (%2F, %22 before the key id)", "logs/nginx-access.log"),
    ("PowerShell Set-AWSCredential (CRLF)", "Set-DeployCredential.ps1"),
    ("STS AssumeRole XML response", "sts-assume-role.xml"),
    ("PHP config array 'key' / 'secret'", "config/filesystems.php"),
    ("s3:// URL with key id and secret as userinfo", "backup.env"),
    (".NET appsettings.json AWS section", "appsettings.Production.json"),
    (".env with GitHub, GitLab, OpenAI, Anthropic, Stripe, SendGrid, Hugging Face", ".env.production"),
    (".npmrc with npm and GitHub Packages tokens", ".npmrc"),
    ("CI YAML: PyPI token and Slack webhook in env:", ".github/workflows/release.yml"),
    ("GCP service-account key file", "gcp/ci-deployer.json"),
    ("JSON config: Google API key and OAuth secret, Slack bot, Shopify", "config/integrations.json"),
    ("source code: Slack user and app tokens", "bots/notify.py"),
    ("Terraform: GitHub fine-grained PAT, Stripe restricted key", "infra/github.tf"),
    ("Terraform: DigitalOcean provider token", "infra/digitalocean.tf"),
    ("Jupyter notebook: Hugging Face login", "notebooks/finetune.ipynb"),
    ("GitLab runner config.toml: runner token, GitHub App token", "ci/gitlab-runner/config.toml"),
    ("PEM RSA private key", "keys/server.key"),
    ("encrypted PKCS#8 private key (CRLF)", "keys/tls-encrypted.pem"),
    ("OpenSSH private key", "keys/id_ed25519"),
    ("PuTTY .ppk private key", "keys/deploy.ppk"),
    ("PGP private key block", "keys/release-signing.asc"),
    ("PEM body indented under a YAML secret name", "k8s/tls-secret-values.yaml"),
];

/// The decoys issue 2 requires, each with its fixture under `decoys/`.
const DECOYS: &[(&str, &str)] = &[
    ("AWS documentation examples", "aws-docs/configure.md"),
    ("AWS documentation sts output (example session token)", "aws-docs/assume-role-output.json"),
    ("ids with 0, 1, 8 or 9", "non-base32-ids.txt"),
    ("placeholders in an env template", "config.example.env"),
    ("placeholders in a YAML template", "config.example.yml"),
    ("os.environ lookups", "env_lookups.py"),
    ("process.env lookups", "env-lookups.js"),
    ("${VAR} interpolation", "docker-compose.env.yml"),
    ("GitHub Actions ${{ secrets.* }}", "ci-secrets.yml"),
    ("SHA-1s under key-like names", "sha1-under-key-names.ini"),
    ("low-entropy 40-char strings", "low-entropy.ini"),
    ("npm integrity hashes", "package-lock.json"),
    ("base64 data URIs", "inline-images.css"),
    ("UUIDs, also under secret names", "uuids.json"),
    ("uppercase words containing AKIA", "uppercase-words.txt"),
    ("random base64 under unrelated names", "vendor.lock.toml"),
    ("go.sum, image digests, hashes, ETags, tfstate lineage, KMS ARNs", "hashes-and-digests.txt"),
    ("CloudFormation !Ref / !GetAtt / dynamic references", "cloudformation-refs.yml"),
    ("JWTs under secret names", "jwt-under-secret-names.txt"),
    ("secret-named YAML entry, another name's value after it", "secret-names-then-other-values.yml"),
    ("secret-named HCL variable without a default, next block's default", "secret-names-then-other-values.tf"),
    ("documented placeholders of every provider", "provider-placeholders.env"),
    ("GitHub and npm tokens with a wrong checksum", "wrong-checksums.txt"),
    ("public keys, certificates, SSH public keys", "public-keys-and-certs.txt"),
    ("PEM headers without a body, in documentation", "pem-headers-without-body.md"),
    ("GCP service-account template without a key", "gcp/service-account.template.json"),
];

const KEY_ID_RULE: &str = "aws-access-key-id";

fn contexts() -> PathBuf {
    fixtures().join("contexts")
}

/// `(rule, line)` pairs, sorted, so two lists compare as multisets.
type Hits = Vec<(String, u64)>;

/// `expected.tsv`: `file<TAB>rule<TAB>line`, file relative to `positive/`.
fn expected() -> BTreeMap<String, Hits> {
    let path = contexts().join("expected.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut by_file: BTreeMap<String, Hits> = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [file, rule, at] = fields[..] else {
            panic!("expected.tsv:{}: want file<TAB>rule<TAB>line, got {line:?}", n + 1);
        };
        let at = at.parse().unwrap_or_else(|_| panic!("expected.tsv:{}: bad line number {at:?}", n + 1));
        by_file.entry(file.to_string()).or_default().push((rule.to_string(), at));
    }
    for hits in by_file.values_mut() {
        hits.sort();
    }
    by_file
}

/// Every file under `dir`, as sorted `/`-separated paths relative to it.
fn files_under(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, prefix: &str, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let entry = entry.unwrap();
            let name = format!("{prefix}{}", entry.file_name().to_str().expect("UTF-8 fixture names"));
            if entry.file_type().unwrap().is_dir() {
                walk(&entry.path(), &format!("{name}/"), out);
            } else {
                out.push(name);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out);
    out.sort();
    out
}

fn scan(dir: &Path, file: &str, extra: &[&str]) -> Output {
    // --no-config: the repository's own .keyfence.toml allowlists fixtures/.
    let mut args = vec!["scan", "--no-config", file];
    args.extend_from_slice(extra);
    run_in(dir, &args)
}

/// Findings of one file's report as sorted `(rule, line)`, checking that
/// every finding names the file that was scanned.
fn hits_of(report: &serde_json::Value, file: &str) -> Hits {
    let mut hits: Hits = findings(report)
        .into_iter()
        .map(|(rule, path, line)| {
            assert_eq!(path, file, "a finding names another file");
            (rule, line)
        })
        .collect();
    hits.sort();
    hits
}

fn show(hits: &Hits) -> String {
    let items: Vec<String> = hits.iter().map(|(rule, line)| format!("{rule}@{line}")).collect();
    format!("[{}]", items.join(", "))
}

fn fail_with(failures: &[String], what: &str) {
    assert!(failures.is_empty(), "{} of the {what} failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn every_context_and_decoy_has_a_fixture_and_nothing_else() {
    let listed = |table: &[(&str, &str)]| {
        let mut files: Vec<String> = table.iter().map(|(_, f)| f.to_string()).collect();
        files.sort();
        files
    };
    assert_eq!(files_under(&contexts().join("positive")), listed(POSITIVE));
    assert_eq!(files_under(&contexts().join("decoys")), listed(DECOYS));
    let expected = expected();
    for (context, file) in POSITIVE {
        assert!(expected.contains_key(*file), "{file} ({context}) has no line in expected.tsv");
    }
    for file in expected.keys() {
        assert!(POSITIVE.iter().any(|(_, f)| f == file), "expected.tsv names {file}, which is not a positive fixture");
    }
}

#[test]
fn every_positive_context_is_found_at_its_lines() {
    let dir = contexts().join("positive");
    let expected = expected();
    let mut failures = Vec::new();
    for (context, file) in POSITIVE {
        let out = scan(&dir, file, &["--format", "json", "--show-secrets"]);
        let want = expected.get(*file).cloned().unwrap_or_default();
        let got = hits_of(&json(&out), file);
        if got != want || code(&out) != 1 {
            failures.push(format!(
                "  {file} ({context}): exit {}\n    expected {}\n    reported {}{}",
                code(&out),
                show(&want),
                show(&got),
                indent_stderr(&out)
            ));
        }
    }
    fail_with(&failures, "positive fixtures");
}

#[test]
fn every_decoy_stays_silent() {
    let dir = contexts().join("decoys");
    let mut failures = Vec::new();
    for (decoy, file) in DECOYS {
        let out = scan(&dir, file, &["--format", "json", "--show-secrets"]);
        let report = json(&out);
        if code(&out) != 0 || !report["findings"].as_array().unwrap().is_empty() {
            let found: Vec<String> = report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| format!("{}@{} {}", f["rule"], f["line"], f["secret"]))
                .collect();
            failures.push(format!(
                "  {file} ({decoy}): exit {}\n    expected []\n    reported [{}]{}",
                code(&out),
                found.join(", "),
                indent_stderr(&out)
            ));
        }
    }
    fail_with(&failures, "decoys");
}

/// The whole directory in one run: hidden files and directories (`.env`,
/// `.aws/`, `.github/`, `.s3cfg`) are walked, and nothing is reported twice.
#[test]
fn scanning_the_positive_directory_reports_exactly_the_expected_findings() {
    let out = run_in(&contexts(), &["scan", "--no-config", "positive", "--format", "json"]);
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let mut got: Vec<(String, String, u64)> = findings(&json(&out))
        .into_iter()
        .map(|(rule, path, line)| {
            let file = path.strip_prefix("positive/").unwrap_or_else(|| panic!("path outside positive/: {path}"));
            (file.to_string(), rule, line)
        })
        .collect();
    got.sort();
    let mut want: Vec<(String, String, u64)> = expected()
        .into_iter()
        .flat_map(|(file, hits)| hits.into_iter().map(move |(rule, line)| (file.clone(), rule, line)))
        .collect();
    want.sort();
    let missing: Vec<_> = want.iter().filter(|w| !got.contains(w)).collect();
    let extra: Vec<_> = got.iter().filter(|g| !want.contains(g)).collect();
    assert_eq!(got, want, "\nmissing: {missing:?}\nextra: {extra:?}");
}

#[test]
fn scanning_the_decoy_directory_is_clean() {
    let out = run_in(&contexts(), &["scan", "--no-config", "decoys", "--format", "json"]);
    let report = json(&out);
    // Lists the offenders; `every_decoy_stays_silent` says which decoy.
    assert_eq!(findings(&report), Vec::new(), "{}", stderr(&out));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(report["stats"]["blobs_scanned"].as_u64(), Some(DECOYS.len() as u64));
}

/// Secrets and tokens (not key ids, which are identifiers the user must look
/// up) are never printed whole without `--show-secrets`, in any format that
/// is not a person at a terminal.
#[test]
fn reports_redact_secrets_unless_asked() {
    let dir = contexts().join("positive");
    let mut failures = Vec::new();
    let mut checked = 0;
    for (_, file) in POSITIVE {
        let shown = json(&scan(&dir, file, &["--format", "json", "--show-secrets"]));
        let mut secrets = Vec::new();
        for finding in shown["findings"].as_array().unwrap() {
            let value = finding["secret"].as_str().unwrap().to_string();
            assert_eq!(finding["redacted"], false, "{file}: --show-secrets still redacted");
            if finding["rule"] == KEY_ID_RULE {
                continue;
            }
            // The shortest value a built-in rule reports is 24 characters
            // (a Slack webhook's secret path segment); AWS secrets are 40.
            assert!(value.len() >= 24, "{file}: {value:?} is not a whole secret");
            secrets.push(value);
        }
        for format in ["json", "jsonl", "human"] {
            let out = scan(&dir, file, &["--format", format]);
            let text = String::from_utf8_lossy(&out.stdout);
            for secret in &secrets {
                checked += 1;
                if text.contains(secret.as_str()) {
                    failures.push(format!("  {file}: --format {format} prints {secret} unredacted"));
                }
                // Redaction keeps a prefix so the user can tell values apart.
                if format != "human" && !text.contains(&secret[..4]) {
                    failures.push(format!("  {file}: --format {format} lost even the prefix of {secret}"));
                }
            }
            if format == "json" {
                for finding in json(&out)["findings"].as_array().unwrap() {
                    let is_key_id = finding["rule"] == KEY_ID_RULE;
                    if finding["redacted"] != !is_key_id {
                        failures.push(format!("  {file}: wrong `redacted` flag on {finding}"));
                    }
                }
            }
        }
    }
    assert!(checked > 0, "no secrets to check");
    fail_with(&failures, "redaction checks");
}

fn indent_stderr(out: &Output) -> String {
    let err = stderr(out);
    if err.trim().is_empty() {
        String::new()
    } else {
        format!("\n    stderr: {}", err.trim())
    }
}
