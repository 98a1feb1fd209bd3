//! The providers that are data only: a name, where to revoke, what to do.
//! No account decoding, no response steps of their own, no `explain` hook;
//! a provider that needs one gets a module like `aws.rs`. The human report
//! prints `what_to_do`, so each one names its revoke URL too.

use super::Provider;

/// A provider with no hooks. `what_to_do` is one or two lines and ends
/// with where to revoke (the report prints it as is).
const fn simple(id: &'static str, name: &'static str, revoke_url: &'static str, what_to_do: &'static str) -> Provider {
    Provider {
        id,
        name,
        revoke_url,
        what_to_do,
        account_label: "account",
        account: None,
        response_steps: None,
        explain: None,
        explain_takes: "",
        sarif_help: "Revoke the credential where its provider issued it, then replace it; removing it from the code is not enough.",
        placeholder: None,
    }
}

pub static GITHUB: Provider = simple(
    "github",
    "GitHub",
    "https://github.com/settings/tokens",
    "GitHub token: revoke it (https://github.com/settings/tokens; an app's tokens under the app's settings), \
     check the account's security log for its use, then issue a new one with the least scope.",
);

pub static NPM: Provider = simple(
    "npm",
    "npm",
    "https://www.npmjs.com/settings/~/tokens",
    "npm token: delete it (https://www.npmjs.com/settings/~/tokens or `npm token revoke`), check the \
     packages it could publish for unexpected versions, then create a granular token.",
);

pub static GITLAB: Provider = simple(
    "gitlab",
    "GitLab",
    "https://gitlab.com/-/user_settings/personal_access_tokens",
    "GitLab token: revoke it (user, project or group settings > Access tokens; runners under CI/CD > Runners), \
     review the audit events for its use, then issue a new one.",
);

pub static SLACK: Provider = simple(
    "slack",
    "Slack",
    "https://api.slack.com/apps",
    "Slack token or webhook: revoke it in the app's settings (https://api.slack.com/apps: OAuth & Permissions, \
     or Incoming Webhooks), then reinstall the app or create a new webhook.",
);

pub static STRIPE: Provider = simple(
    "stripe",
    "Stripe",
    "https://dashboard.stripe.com/apikeys",
    "Stripe key: roll it now (https://dashboard.stripe.com/apikeys), then check the Dashboard's logs and \
     events for calls you did not make.",
);

pub static GOOGLE: Provider = simple(
    "google",
    "Google Cloud",
    "https://console.cloud.google.com/apis/credentials",
    "Google credential: delete or regenerate it (https://console.cloud.google.com/apis/credentials; service \
     account keys under IAM > Service accounts > Keys), then check billing and audit logs.",
);

pub static PRIVATE_KEY: Provider = simple(
    "private-key",
    "Private key",
    "https://www.rfc-editor.org/rfc/rfc5280#section-3.3",
    "Private key: replace the key pair, remove its public key from everywhere it is trusted (authorized_keys, \
     deploy keys, keyrings), and revoke any certificate issued for it with its CA.",
);

pub static PYPI: Provider = simple(
    "pypi",
    "PyPI",
    "https://pypi.org/manage/account/token/",
    "PyPI token: remove it (https://pypi.org/manage/account/token/), check the release history of the projects \
     in its scope, then prefer Trusted Publishing over tokens.",
);

pub static OPENAI: Provider = simple(
    "openai",
    "OpenAI",
    "https://platform.openai.com/api-keys",
    "OpenAI key: revoke it (https://platform.openai.com/api-keys) and create a new one; check the usage page \
     for calls you did not make.",
);

pub static ANTHROPIC: Provider = simple(
    "anthropic",
    "Anthropic",
    "https://console.anthropic.com/settings/keys",
    "Anthropic key: disable and delete it (https://console.anthropic.com/settings/keys), create a new one, and \
     check the usage page for calls you did not make.",
);

pub static HUGGINGFACE: Provider = simple(
    "huggingface",
    "Hugging Face",
    "https://huggingface.co/settings/tokens",
    "Hugging Face token: invalidate it (https://huggingface.co/settings/tokens), then create a fine-grained \
     token with only the repositories it needs.",
);

pub static SENDGRID: Provider = simple(
    "sendgrid",
    "SendGrid",
    "https://app.sendgrid.com/settings/api_keys",
    "SendGrid key: delete it (https://app.sendgrid.com/settings/api_keys), create a new one, and check the \
     activity feed for mail you did not send.",
);

pub static SHOPIFY: Provider = simple(
    "shopify",
    "Shopify",
    "https://admin.shopify.com/settings/apps/development",
    "Shopify token or secret: rotate it in the app's settings (Settings > Apps > Develop apps, or the Partner \
     Dashboard for an app's secret), then reinstall the app.",
);

pub static DIGITALOCEAN: Provider = simple(
    "digitalocean",
    "DigitalOcean",
    "https://cloud.digitalocean.com/account/api/tokens",
    "DigitalOcean token: delete it (https://cloud.digitalocean.com/account/api/tokens), check the team's \
     activity log for resources you did not create, then issue a scoped token.",
);
